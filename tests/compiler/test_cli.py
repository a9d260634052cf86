"""`sfncompile compile` and `python flow.py compile`."""
from __future__ import annotations

import json
import os
import subprocess
import sys

from sfncompile.compiler import to_json, to_pretty_json

from .helpers import DECORATED, EXAMPLES, ROOT, compile_path


def example(name: str) -> str:
    return next(p for p in EXAMPLES if p.endswith("/" + name))


def run(args, **kwargs):
    return subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=60, **kwargs)


def test_compile_prints_pretty_json_to_stdout(sfncompile_cmd):
    proc = run([*sfncompile_cmd, "compile", example("hello.py")])
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == to_pretty_json(compile_path(example("hello.py")).definition)
    assert proc.stderr == ""


def test_compile_writes_the_file_given_with_o_and_compact(sfncompile_cmd, tmp_path):
    out = tmp_path / "nested" / "sm.json"
    proc = run([*sfncompile_cmd, "compile", example("foreach.py"), "-o", str(out), "--compact"])
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == to_json(compile_path(example("foreach.py")).definition) + "\n"
    assert f"wrote {out}" in proc.stderr and "state machine ForeachFlow" in proc.stderr


def test_compile_stats_prints_size_and_cost_model(sfncompile_cmd):
    proc = run([*sfncompile_cmd, "compile", example("foreach.py"), "--stats", "--items", "3", "--compact"])
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    assert lines[0].startswith("definition: ") and "bytes as deployed (" in lines[0] and lines[0].endswith(", 4 steps")
    assert lines[1].startswith("Step Functions per run, 3 items per foreach: 11 state transitions, 6 Batch jobs, ")
    assert lines[2] == "  transitions per step, by kind: foreach 5, linear 1, join 1, end 1; per run: 1 more"
    assert lines[3] == "  foreach 'start': 0 transition(s) per item besides the item's steps"
    assert json.loads(proc.stdout)  # the definition is still printed


def test_compile_checks_the_name(sfncompile_cmd):
    ok = run([*sfncompile_cmd, "compile", example("hello.py"), "--name", "Hello-prod", "--compact"])
    assert ok.returncode == 0, ok.stderr
    bad = run([*sfncompile_cmd, "compile", example("hello.py"), "--name", "x" * 81])
    assert bad.returncode == 1
    assert bad.stderr.startswith("compile error: state machine name 'xxx")
    assert "has 81 characters; Step Functions allows 80" in bad.stderr
    assert "Traceback" not in bad.stderr


def test_compile_fills_placeholders_from_a_config_file(sfncompile_cmd, tmp_path):
    config = tmp_path / "config.json"
    config.write_text(json.dumps({
        "region": "us-east-1", "bucket": "data", "prefix": "sfncompile", "table": "meta",
        "job_queue": "arn:aws:batch:us-east-1:1:job-queue/q", "job_definition": "arn:aws:batch:us-east-1:1:job-definition/d:1",
    }))
    proc = run([*sfncompile_cmd, "compile", DECORATED, "--config", str(config)])
    assert proc.returncode == 0, proc.stderr
    definition = json.loads(proc.stdout)
    text = json.dumps(definition)
    assert "${JobQueue}" not in text and "${FlowName}" not in text
    assert definition["States"]["set up run"]["Parameters"]["q"] == "arn:aws:batch:us-east-1:1:job-queue/q"
    assert definition["States"]["join"]["Parameters"]["JobQueue.$"] == "$.q"
    # the @timeout warning, and the one placeholder only deploy can fill
    assert "warning: step 'fit': @timeout of 30 s becomes a Batch attempt timeout of 60 s" in proc.stderr
    assert "does not fill ${JobDefinition_score_one}" in proc.stderr


def test_compile_reports_an_unreadable_config(sfncompile_cmd, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    proc = run([*sfncompile_cmd, "compile", example("hello.py"), "--config", str(bad)])
    assert proc.returncode == 1
    assert f"configuration error: config file {bad} is not valid JSON" in proc.stderr


def test_the_flow_file_is_its_own_cli(tmp_path):
    out = tmp_path / "train.json"
    proc = run([sys.executable, example("train.py"), "compile", "-o", str(out)],
               env=dict(os.environ, PYTHONPATH=ROOT))
    assert proc.returncode == 0, proc.stderr
    assert out.read_text() == to_pretty_json(compile_path(example("train.py")).definition)
