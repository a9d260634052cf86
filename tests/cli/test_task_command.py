"""`sfncompile task`: a well-formed Batch command runs without click, read exactly as click reads it;
anything else (help, usage errors, --debug) is click's, unchanged."""
from __future__ import annotations

import json
import subprocess
import sys
from typing import List

import click
import pytest

from sfncompile.cli.task_cmd import task
from sfncompile.cli.task_run import OPTIONS, parse

WELL_FORMED = [
    ["start", "--run-id", "sfn-1", "--task-id", "0", "--attempt", "0"],
    ["start", "--run-id", "sfn-1", "--task-id", "0", "--attempt", "0", "--params-json", '{"parameters": {}}'],
    ["train", "--run-id", "r", "--task-id", "3.1", "--attempt", "12"],
    ["train", "--run-id", "r", "--task-id", "3"],  # --attempt defaults to 0
    ["--run-id=r", "--task-id=0", "end", "--attempt=2", "--flow-file=f.py", "--flow", "F"],
    ["end", "--run-id", "r", "--run-id", "s", "--task-id", "0"],  # the last one counts
    ["end", "--run-id", "-r", "--task-id", "--"],  # an option's value may look like an option
    ["--run-id", "r", "--task-id", "0", "--", "-weird-step"],
    ["-", "--run-id", "", "--task-id", "0", "--environment", "abc"],
    ["start", "--run-id", "r", "--task-id", "0", "--params-json", "--help"],
    ["start", "--run-id", "sfn-e", "--task-id", "0", "--execution-arn", "arn:aws:states:eu-west-1:1:execution:m:e"],
]

MALFORMED = [
    [],
    ["start"],
    ["start", "--run-id", "r"],
    ["start", "--run-id", "r", "--task-id", "0", "--attempt", "-1"],
    ["start", "--run-id", "r", "--task-id", "0", "--attempt", "x"],
    ["start", "--run-id", "r", "--task-id", "0", "--attempt", ""],
    ["start", "--run-id", "r", "--task-id", "0", "--bogus", "1"],
    ["start", "--run-id", "r", "--task-id", "0", "--run"],  # abbreviations are not options
    ["start", "extra", "--run-id", "r", "--task-id", "0"],
    ["start", "--run-id", "r", "--task-id", "0", "--flow-file"],
    ["start", "--run-id", "r", "--task-id", "0", "--help"],
    ["start", "--run-id", "r", "--task-id", "0", "-h"],
]


def _click_reads(args: List[str]) -> dict:
    with task.make_context("task", list(args)) as ctx:
        return dict(ctx.params)


@pytest.mark.parametrize("args", WELL_FORMED)
def test_a_well_formed_command_is_read_as_click_reads_it(args):
    assert parse(args) == _click_reads(args)


@pytest.mark.parametrize("args", MALFORMED)
def test_anything_else_is_left_to_click(args):
    assert parse(args) is None
    if args and "--help" not in args and "-h" not in args:
        with pytest.raises(click.UsageError):
            _click_reads(args)


def test_a_value_only_click_converts_is_left_to_click():
    args = ["start", "--run-id", "r", "--task-id", "0", "--attempt", "\u0663"]  # ARABIC-INDIC DIGIT THREE
    assert parse(args) is None
    assert _click_reads(args)["attempt"] == 3


def test_click_command_has_the_options_of_the_table_in_order():
    options = [(p.opts, p.name, p.required, p.help) for p in task.params if isinstance(p, click.Option)]
    assert options == [([flag], name, required, help_text) for flag, name, help_text, required in OPTIONS]


# What the process imported by the time it exits; the task fails (no flow file) after its arguments were read.
_PROBE = r"""
import atexit, json, sys
atexit.register(lambda: print("MODULES " + json.dumps(sorted(m for m in ("click", "sfncompile.cli.group")
                                                                if m in sys.modules))))
from sfncompile.cli import main
main(sys.argv[1:])
"""


def _probe(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", _PROBE, *args], capture_output=True, text=True, timeout=60)


def test_a_batch_command_runs_without_click_and_reports_errors_as_the_cli_does(monkeypatch, tmp_path):
    monkeypatch.delenv("SFNCOMPILE_FLOW_FILE", raising=False)
    monkeypatch.delenv("SFNCOMPILE_CODE_URL", raising=False)
    monkeypatch.chdir(tmp_path)
    out = _probe("task", "start", "--run-id", "r", "--task-id", "0", "--attempt", "0")
    assert out.returncode == 1
    assert out.stderr == "configuration error: no flow file: pass --flow-file or set SFNCOMPILE_FLOW_FILE\n"
    assert json.loads(out.stdout.split("MODULES ", 1)[1]) == []

    out = _probe("task", "start", "--run-id", "r", "--task-id", "0", "--flow-file", str(tmp_path / "none.py"))
    assert out.returncode == 1
    assert out.stderr.startswith(f"flow definition error: no flow file at {tmp_path / 'none.py'}\n  fix: ")


def test_the_run_parameters_come_from_one_place(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    out = _probe("task", "start", "--run-id", "r", "--task-id", "0", "--params-json", "{}",
                 "--execution-arn", "arn:aws:states:eu-west-1:1:execution:m:e")
    assert out.returncode == 1
    assert out.stderr == ("configuration error: the task got the run's parameters twice: --params-json and "
                          "--execution-arn\n  fix: pass one of them (a compiled start step passes --execution-arn)\n")


@pytest.mark.parametrize("args, says, code", [
    (["task", "--help"], "Usage: sfncompile task [OPTIONS] STEP", 0),
    (["task", "start", "--run-id", "r"], "Error: Missing option '--task-id'.", 2),
    (["task", "start", "--run-id", "r", "--task-id", "0", "--attempt", "-1"],
     "Error: Invalid value for '--attempt': -1 is not in the range x>=0.", 2),
    (["--debug", "task", "start", "--run-id", "r", "--task-id", "0", "--flow-file", "/none/f.py"],
     "sfncompile.exceptions.FlowDefinitionError: no flow file at /none/f.py", 1),
])
def test_help_usage_errors_and_debug_are_clicks(args, says, code, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = _probe(*args)
    assert out.returncode == code, out.stderr
    assert says in out.stdout + out.stderr
    assert json.loads(out.stdout.split("MODULES ", 1)[1]) == ["click", "sfncompile.cli.group"]
