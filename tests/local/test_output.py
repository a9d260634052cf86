"""What the scheduler prints; `current`; artifacts carried by reference; flow-defined classes."""
from __future__ import annotations

import io
import os
import subprocess
import sys

from sfncompile import Run
from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.local.output import Reporter
from sfncompile.local.scheduler import LocalRunner

from .helpers import flow_path, run_flow


def test_progress_line_for_wide_foreach_on_a_terminal():
    flow_cls = load_flow_class(flow_path("foreach"))
    out = io.StringIO()
    runner = LocalRunner(flow_cls, build_graph(flow_cls), parameters={"width": "40"}, max_workers=4,
                         reporter=Reporter(out, tty=True))
    runner.prepare()
    outcome = runner.run()
    assert outcome.ok
    text = out.getvalue()
    assert "\r\x1b[Ksquare: " in text and "/40 done" in text
    assert "/square/3] task started" not in text  # no per-item lines for a wide foreach on a TTY
    assert "/start/0] task started" in text and "/join/0] task finished" in text


def test_not_a_terminal_prints_every_task():
    outcome, text = run_flow("foreach", {"width": "20"})
    assert outcome.ok
    assert text.count("/square/") == 40 and "\x1b[K" not in text


def test_current_and_artifacts_by_reference(start_method):
    outcome, _ = run_flow("objects_flow")
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    who = run["start"].task.data.who
    assert who == {
        "flow_name": "ObjectsFlow", "run_id": run.id, "step_name": "start", "task_id": "0", "retry_count": 0,
        "username": "tester", "namespace": "user:tester", "is_production": False,
        "pathspec": f"ObjectsFlow/{run.id}/start/0",
    }
    assert run.data.n2 == 25
    # inherited artifacts are carried by reference: the same blob, not a copy
    assert run["end"].task["point"].sha == run["start"].task["point"].sha
    assert run["end"].task["who"].sha == run["start"].task["who"].sha


def test_flow_defined_classes_are_readable_without_the_flow_file(tmp_path):
    outcome, _ = run_flow("objects_flow")
    code = (
        "from sfncompile import Run; "
        f"p = Run('ObjectsFlow/{outcome.run_id}').data.point; print(type(p).__name__, p.norm2())"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=str(tmp_path),
                          env=dict(os.environ, PYTHONPATH=""))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["Point", "25"]


def test_foreach_items_shared_by_reference():
    outcome, _ = run_flow("foreach", {"width": "3"})
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    sha = run["start"].task["items"].sha
    assert {t["items"].sha for t in run["square"].tasks()} == {sha}


def test_output_is_captured_at_the_file_descriptor_level(capfd, start_method):
    """A subprocess's and a C function's output are stored with the task and echoed with its pathspec."""
    outcome, _ = run_flow("fd_output_flow")
    assert outcome.ok
    terminal = capfd.readouterr()
    task = Run(f"{outcome.flow}/{outcome.run_id}")["start"].task
    assert task.stdout.splitlines() == ["from python", "from the shell"]
    assert task.stderr == "from C on stderr\n"
    prefix = f"[{outcome.flow}/{outcome.run_id}/start/0] "
    assert f"{prefix}from python\n" in terminal.out and f"{prefix}from the shell\n" in terminal.out
    assert f"{prefix}from C on stderr\n" in terminal.err
