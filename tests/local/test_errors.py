"""Mistakes at run time: each fails the run with one clear message."""
from __future__ import annotations

import pytest

from sfncompile import Run
from sfncompile.exceptions import ParameterError

from .helpers import run_flow


def _failed(params):
    outcome, text = run_flow("errors_flow", params)
    assert not outcome.ok
    return outcome, text, Run(f"{outcome.flow}/{outcome.run_id}")


def test_ok_mode_runs():
    outcome, text = run_flow("errors_flow")
    assert outcome.ok, text
    assert Run(f"{outcome.flow}/{outcome.run_id}")["join"].task.data.vs == [1, 2]


def test_unpicklable_artifact_names_attribute_and_type():
    outcome, text, run = _failed({"mode": "unpicklable"})
    assert "artifact 'lock'" in text
    assert "_thread.lock" in text or "lock" in text
    assert run.failed_step == "start"
    exc = run["start"].task.exception
    assert exc.type == "ArtifactError" and "artifact 'lock' (type _thread.lock) cannot be pickled" in exc.message
    assert run.error.startswith("ArtifactError: artifact 'lock'")


def test_empty_foreach_names_the_attribute():
    outcome, text, run = _failed({"mode": "empty"})
    assert "self.items is empty" in text
    assert run.failed_step == "fan"


def test_bad_switch_value():
    outcome, text, run = _failed({"mode": "badchoice"})
    assert "self.choice is 'nope', which is none of the cases 'a', 'b'" in text
    assert run.failed_step == "decide"


def test_failure_prints_traceback_once_and_summary():
    outcome, text, run = _failed({"mode": "empty"})
    assert text.count("self.items is empty") == 1
    assert f"Run ErrorsFlow/{outcome.run_id} FAILED" in text
    assert f"failed: ErrorsFlow/{outcome.run_id}/fan/0" in text
    # finished tasks stay readable
    assert run["start"].task.data.items == []


def test_parameter_errors():
    with pytest.raises(ParameterError, match="parameter 'label' is required"):
        run_flow("parameters")
    with pytest.raises(ParameterError, match="parameter 'epochs'.*not a valid int"):
        run_flow("parameters", {"label": "x", "epochs": "two"})
    with pytest.raises(ParameterError, match="unknown parameter"):
        run_flow("parameters", {"label": "x", "nope": "1"})
    with pytest.raises(ParameterError, match="cannot read file"):
        run_flow("parameters", {"label": "x", "notes": "/no/such/file"})
    with pytest.raises(ParameterError, match="not a valid json"):
        run_flow("parameters", {"label": "x", "grid": "{bad"})
