"""@catch as in Metaflow: var is None on success; a caught failure of the end step leaves the run unsuccessful."""
from __future__ import annotations

from sfncompile import Run
from sfncompile.runtime.caught import CaughtException

from .helpers import run_flow


def test_catch_var_is_none_when_the_step_succeeds_and_caught_end_fails_the_run(monkeypatch):
    monkeypatch.setenv("END_FAILS", "1")
    outcome, text = run_flow("catch_end_flow")
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    start = run["start"].task
    assert "start_error" in start and start.data.start_error is None
    end = run["end"].task
    assert end.finished and end.data.reached is True
    assert isinstance(end.data.end_error, CaughtException) and end.data.end_error.message == "end broke"
    assert not outcome.ok and outcome.exit_code == 1
    assert run.finished and not run.successful
    assert run.failed_step == "end" and "RuntimeError: end broke" in run.error
    assert "caught by @catch" in run.error
    assert f"failed: {outcome.flow}/{outcome.run_id}/end/0" in text
    # resume runs the end step again (it is recorded successful, but the run is not)
    monkeypatch.setenv("END_FAILS", "0")
    resumed, text = run_flow("catch_end_flow", resume=True, origin_run_id=outcome.run_id)
    assert resumed.ok, text
    again = Run(f"{resumed.flow}/{resumed.run_id}")
    assert again.successful and again.data.end_error is None
    assert again["start"].task.origin_pathspec == f"{outcome.flow}/{outcome.run_id}/start/0"
