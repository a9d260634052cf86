"""Metaflow flows, with only their import changed, give the artifacts Metaflow gave.

Each flow under ``flows/`` is a Metaflow flow (``from metaflow import ...``). The
test rewrites that import to sfncompile, runs the file as a user would
(``python flow.py run ARGS``) and compares every task's artifacts, read with
sfncompile's client, with what Metaflow's client read after running the same file
under Metaflow 2.19 (``expected.json``, written by ``record_expected.py``).
Tasks are matched by step and foreach position, since the two number tasks differently.
"""
from __future__ import annotations

import json
import subprocess
import sys
from typing import Any, Dict, List

import pytest

from sfncompile.client import Flow
from sfncompile.client import backend as client_backend

from .cases import CASES, EXPECTED
from .normalize import normalize
from .port import changed_lines, port_flow, port_source

with open(EXPECTED, encoding="utf-8") as _fh:
    RECORDED: Dict[str, Any] = json.load(_fh)["flows"]

RUN_TIMEOUT = 300


def _cases() -> List[Any]:
    return [pytest.param(name, marks=[pytest.mark.slow] if case.slow else [], id=name) for name, case in CASES.items()]


def _observed(flow_name: str) -> Dict[str, Any]:
    client_backend.reset()  # this test's store root
    run = Flow(flow_name).latest_run
    assert run is not None, f"no run of {flow_name} was recorded"
    steps: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for step in run:
        tasks: Dict[str, Dict[str, Any]] = {}
        for task in step:
            key = ".".join(str(i) for i in task.foreach_stack)
            assert key not in tasks, f"two tasks of {step.id} at foreach position {key!r}"
            tasks[key] = {art.name: normalize(art.data) for art in task}
        steps[step.id] = tasks
    return {"successful": run.successful, "steps": steps}


def _short(value: Any, limit: int = 160) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _differences(expected: Dict[str, Any], actual: Dict[str, Any]) -> List[str]:
    """Every way ``actual`` departs from Metaflow's result, one readable line each."""
    out: List[str] = []
    if expected["successful"] != actual["successful"]:
        out.append(f"run successful: Metaflow {expected['successful']}, sfncompile {actual['successful']}")
    for step in sorted(set(expected["steps"]) | set(actual["steps"])):
        want, got = expected["steps"].get(step), actual["steps"].get(step)
        if want is None or got is None:
            out.append(f"step {step}: only {'sfncompile' if want is None else 'Metaflow'} ran it")
            continue
        if sorted(want) != sorted(got):
            out.append(f"step {step}: tasks at foreach positions {sorted(want)} in Metaflow, {sorted(got)} here")
            continue
        for key in sorted(want):
            where = f"{step}[{key}]" if key else step
            w, g = want[key], got[key]
            for name in sorted(set(w) | set(g)):
                if name not in g:
                    out.append(f"{where}: artifact {name} missing (Metaflow: {_short(w[name])})")
                elif name not in w:
                    out.append(f"{where}: artifact {name} not in Metaflow's task (here: {_short(g[name])})")
                elif w[name] != g[name]:
                    out.append(f"{where}.{name}: Metaflow {_short(w[name])}, sfncompile {_short(g[name])}")
    return out


def test_every_flow_has_a_recorded_expectation():
    assert sorted(RECORDED) == sorted(CASES)
    for name, case in CASES.items():
        assert RECORDED[name]["args"] == list(case.args), f"{name}: re-record after changing its arguments"


def test_port_changes_only_the_import_lines():
    source = "from metaflow import FlowSpec, step\nx = 'from metaflow import y'\n    from metaflow import current\n"
    ported = port_source(source)
    assert ported == "from sfncompile import FlowSpec, step\nx = 'from metaflow import y'\n    from sfncompile import current\n"
    assert changed_lines(source, ported) == ["from sfncompile import FlowSpec, step", "    from sfncompile import current"]


@pytest.mark.parametrize("name", _cases())
def test_flow_gives_metaflows_artifacts(name: str, tmp_path) -> None:
    expected = RECORDED[name]
    flow_file = port_flow(name, str(tmp_path))
    proc = subprocess.run(
        [sys.executable, flow_file, "run", *CASES[name].args],
        cwd=str(tmp_path),
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT,
    )
    output = f"\n--- stdout\n{proc.stdout[-2000:]}\n--- stderr\n{proc.stderr[-2000:]}"
    assert (proc.returncode == 0) == expected["successful"], f"exit code {proc.returncode}{output}"
    differences = _differences(expected, _observed(expected["flow"]))
    assert not differences, "\n".join(differences) + output
