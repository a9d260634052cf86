"""`python flow.py COMMAND`: the flow file's own command group, as Metaflow users type it."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from .test_local_cli import EXAMPLES, sfn

HELLO = os.path.join(EXAMPLES, "hello.py")


def flow_cmd(*args, check=True):
    proc = subprocess.run([sys.executable, HELLO, *args], capture_output=True, text=True, timeout=120)
    if check and proc.returncode != 0:
        raise AssertionError(f"exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}")
    return proc


def test_flow_file_help_lists_its_commands_only():
    out = flow_cmd("--help").stdout
    assert out.startswith("Usage: hello.py [OPTIONS] COMMAND [ARGS]...")
    for name in ("run", "resume", "logs", "dump", "tag", "version", "step-functions"):
        assert f"\n  {name} " in out, name
    for name in ("configure", "deployments", "redrive", "task"):
        assert f"\n  {name} " not in out, name
    top = sfn("--help").stdout
    assert "Read results:" in top and "AWS Step Functions:" in top and "\n  task " not in top
    assert "[--wait]." in top  # summaries are not cut off with "..."


def test_flow_file_logs_dump_tag_version(tmp_path):
    id_file = tmp_path / "id"
    flow_cmd("run", "--run-id-file", str(id_file), "--quiet")
    run_id = id_file.read_text()
    assert flow_cmd("logs", f"{run_id}/hello/0").stdout == f"hello from HelloFlow/{run_id}/hello/0\n"
    assert "message (str" in flow_cmd("dump", f"{run_id}/hello/0").stdout
    flow_cmd("tag", "add", "--run-id", run_id, "best", "reviewed")
    flow_cmd("tag", "remove", "--run-id", run_id, "reviewed")
    listed = json.loads(flow_cmd("tag", "list", "--run-id", run_id, "--json").stdout)
    assert listed["user_tags"] == ["best"] and "runtime:local" in listed["system_tags"]
    latest = json.loads(flow_cmd("tag", "list", "--json").stdout)  # no --run-id: the latest run
    assert latest["pathspec"] == f"HelloFlow/{run_id}"
    bad = flow_cmd("tag", "add", "--run-id", run_id, "user:someone", check=False)
    assert bad.returncode == 1 and "marks system tags" in bad.stderr
    assert flow_cmd("version").stdout.startswith("sfncompile ")


def test_step_functions_names_map_to_our_commands():
    proc = flow_cmd("step-functions", "create", check=False)
    assert "note: `step-functions create` is `sfncompile deploy` here" in proc.stderr
    assert proc.returncode == 1 and "no AWS configuration" in proc.stderr
    runs = flow_cmd("step-functions", "list-runs", check=False)
    assert "is `sfncompile runs` here" in runs.stderr
    unknown = flow_cmd("step-functions", "launch", check=False)
    assert unknown.returncode == 2 and "create, trigger, list-runs, terminate, delete" in unknown.stderr


def test_metaflow_top_level_options_before_the_command(tmp_path):
    from sfncompile.cli.flow_file import hoist_top_level_options

    assert hoist_top_level_options(["--no-pylint", "--with", "retry", "--quiet", "run", "--alpha", "1"]) == \
        ["run", "--alpha", "1", "--with", "retry", "--quiet"]
    assert hoist_top_level_options(["--debug", "--datastore=local", "run"]) == ["--debug", "run", "--datastore=local"]
    id_file = tmp_path / "id"
    proc = flow_cmd("--no-pylint", "--quiet", "--with", "retry:times=1", "run", "--run-id-file", str(id_file))
    assert proc.stdout.strip() == f"HelloFlow/{id_file.read_text()} SUCCEEDED"


def test_step_functions_argument_mapping():
    from sfncompile.cli.flow_file import argv_for_flow

    assert argv_for_flow("/f.py", "F", ["step-functions", "create", "--name", "x"]) == \
        ["deploy", "/f.py", "--flow", "F", "--name", "x"]
    assert argv_for_flow("/f.py", "F", ["step-functions", "trigger", "--alpha", "1"]) == ["trigger", "F", "--alpha", "1"]
    assert argv_for_flow("/f.py", "F", ["step-functions", "terminate", "sfn-1"]) == ["terminate", "F/sfn-1"]
    assert argv_for_flow("/f.py", "F", ["step-functions", "delete", "--yes"]) == ["delete", "F", "--yes"]
    assert argv_for_flow("/f.py", "F", ["logs", "F/1/start/0"]) == ["logs", "F/1/start/0"]
