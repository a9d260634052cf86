"""Per-step progress on the run page: `37/100 done, 2 failed`, and the step's status."""
from __future__ import annotations

from types import SimpleNamespace

from sfncompile.ui.data import step_summary


def tasks(done=0, failed=0, running=0):
    make = lambda status: SimpleNamespace(status=status, created_at=None, finished_at=None)  # noqa: E731
    return [make("SUCCEEDED")] * done + [make("FAILED")] * failed + [make("RUNNING")] * running


def test_foreach_progress_text_and_status():
    s = step_summary("fit", tasks(done=37, failed=2, running=3), expected=100, run_finished=False)
    assert s["progress"] == "37/100 done, 2 failed, 3 running" and s["status"] == "RUNNING"
    s = step_summary("fit", tasks(done=37, failed=2), expected=100, run_finished=True)
    assert s["progress"] == "37/100 done, 2 failed" and s["status"] == "FAILED"
    s = step_summary("fit", tasks(done=100), expected=100, run_finished=True)
    assert s["progress"] == "100/100 done" and s["status"] == "SUCCEEDED"
    s = step_summary("fit", tasks(done=3), expected=None, run_finished=False)
    assert s["progress"] == "3 done"


def test_single_task_steps():
    assert step_summary("start", [], expected=1, run_finished=False)["progress"] == "not started"
    assert step_summary("start", [], expected=1, run_finished=False)["status"] == "PENDING"
    assert step_summary("start", tasks(running=1), expected=1, run_finished=False)["progress"] == "running"
    s = step_summary("start", tasks(failed=1), expected=1, run_finished=True)
    assert (s["progress"], s["status"]) == ("failed", "FAILED")
