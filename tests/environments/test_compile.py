"""The compiled Task of a step with an environment carries ``--environment ID`` in its command."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from sfncompile.compiler import DeploySettings, compile_flow, jobparams
from sfncompile.graph import build_graph_from_file

from ..compiler.helpers import all_states
from .conftest import flow_file

ENV_ID = "ab" * 32


def _task(definition, step):
    return next(s for s in all_states(definition) if s.get("Type") == "Task"
                and s["Parameters"].get("Parameters", {}).get(jobparams.STEP) == step)


def test_only_steps_with_an_environment_get_it_in_their_command(tmp_path):
    graph = build_graph_from_file(flow_file("two_envs.py"))
    plain = compile_flow(graph, DeploySettings()).definition
    result = compile_flow(graph, DeploySettings(environments={"old": ENV_ID})).definition
    old = _task(result, "old")["Parameters"]["ContainerOverrides"]["Command.$"]
    assert old.startswith("States.Array('sfncompile','task','old','--run-id',")
    assert old.endswith(f"'--environment','{ENV_ID}')")
    assert "ContainerOverrides" not in _task(result, "new")["Parameters"]
    start = _task(result, "start")["Parameters"]["ContainerOverrides"]["Command.$"]
    assert "--environment" not in start and "'--execution-arn',$$.Execution.Id" in start
    assert _task(plain, "start") == _task(result, "start")
    statelint = os.path.join(os.path.dirname(sys.executable), "statelint")
    path = tmp_path / "machine.json"
    path.write_text(json.dumps(result))
    proc = subprocess.run([statelint, str(path)], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
