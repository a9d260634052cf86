"""Record what Metaflow produces for every compat flow into ``expected.json``.

A developer tool, not run in CI (CI does not install Metaflow). Run it with an
interpreter that has Metaflow 2.19, pandas and scikit-learn installed, from a
separate virtual environment so that Metaflow never enters ours::

    python3 -m venv /tmp/mfvenv
    /tmp/mfvenv/bin/pip install 'metaflow==2.19.*' pandas scikit-learn
    /tmp/mfvenv/bin/python tests/compat/record_expected.py [NAME ...]

Each flow runs unchanged (``from metaflow import ...``) with ``python FLOW run
ARGS`` against a throw-away local datastore; Metaflow's client then reads every
task's artifacts, which are normalized (``normalize.py``) and written keyed by
step and foreach position. Naming flows re-records only those.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from typing import Any, Dict

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from cases import CASES, EXPECTED, flow_file  # noqa: E402
from normalize import normalize  # noqa: E402

# Artifacts every Metaflow task has that are not the flow's own.
METAFLOW_OWN = {"name"}


def _environment(root: str) -> Dict[str, str]:
    env = dict(os.environ)
    env.update(
        METAFLOW_HOME=os.path.join(root, "home"),
        METAFLOW_DEFAULT_DATASTORE="local",
        METAFLOW_DEFAULT_METADATA="local",
        METAFLOW_DATASTORE_SYSROOT_LOCAL=os.path.join(root, "store"),
        USERNAME="tester",
    )
    return env


def _task_key(task: Any) -> str:
    """The task's foreach position ("" outside any foreach, "2", "1.0", ...)."""
    frames = task["_foreach_stack"].data if "_foreach_stack" in task else []
    return ".".join(str(frame.index) for frame in frames)


def record_one(name: str, root: str) -> Dict[str, Any]:
    from metaflow import Run

    case = CASES[name]
    run_id_file = os.path.join(root, name + ".runid")
    proc = subprocess.run(
        [sys.executable, flow_file(name), "--no-pylint", "run", "--run-id-file", run_id_file, *case.args],
        cwd=root,
        env=_environment(root),
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise SystemExit(f"{name}: Metaflow run failed:\n{proc.stdout}\n{proc.stderr}")
    with open(run_id_file) as fh:
        run_id = fh.read().strip()
    flow_name = next(line.split("(")[0].split()[-1] for line in open(flow_file(name)) if line.startswith("class "))
    run = Run(f"{flow_name}/{run_id}")
    steps: Dict[str, Dict[str, Dict[str, Any]]] = {}
    for step in run:
        tasks: Dict[str, Dict[str, Any]] = {}
        for task in step:
            key = _task_key(task)
            if key in tasks:
                raise SystemExit(f"{name}: two tasks of {step.id} at foreach position {key!r}")
            tasks[key] = {
                art.id: normalize(art.data)
                for art in task
                if not art.id.startswith("_") and art.id not in METAFLOW_OWN
            }
        steps[step.id] = tasks
    return {"flow": flow_name, "args": list(case.args), "successful": run.successful, "steps": steps}


def _save(expected: Dict[str, Any]) -> None:
    expected["flows"] = {k: expected["flows"][k] for k in sorted(expected["flows"]) if k in CASES}
    with open(EXPECTED, "w") as fh:
        json.dump(expected, fh, indent=1, sort_keys=True)
        fh.write("\n")


def main(names: list) -> None:
    chosen = names or list(CASES)
    expected: Dict[str, Any] = {"flows": {}}
    if os.path.exists(EXPECTED):
        with open(EXPECTED) as fh:
            expected = json.load(fh)
    with tempfile.TemporaryDirectory() as root:
        os.environ.update(_environment(root))  # before Metaflow is imported: it reads its config once
        import metaflow

        expected["recorded_with"] = f"metaflow {metaflow.__version__}"
        for name in chosen:
            print(f"recording {name} ...", flush=True)
            expected["flows"][name] = record_one(name, root)
            _save(expected)  # after each flow: a later failure keeps what was recorded
    print(f"wrote {EXPECTED}")


if __name__ == "__main__":
    main(sys.argv[1:])
