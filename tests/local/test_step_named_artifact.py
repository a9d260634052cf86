"""An artifact named after a step is refused with its file:line; a flow or step object is never pickled."""
from __future__ import annotations

from sfncompile import Run

from .helpers import flow_path, run_flow


def _exception(params):
    outcome, text = run_flow("step_named_artifact_flow", params)
    assert not outcome.ok, text
    assert "sqlite3" not in text
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    return run.failed_step, run[run.failed_step].task.exception


def test_ordinary_artifacts_next_to_the_step_work():
    outcome, text = run_flow("step_named_artifact_flow", {"mode": "plain"})
    assert outcome.ok, text
    assert Run(f"{outcome.flow}/{outcome.run_id}")["join"].task.data.total == 3


def test_setting_an_artifact_named_after_a_step_names_the_line():
    step, exc = _exception({"mode": "setattr"})
    line = next(i for i, text in enumerate(open(flow_path("step_named_artifact_flow")), 1) if "setattr(self" in text)
    assert step == "score"
    assert f"step_named_artifact_flow.py:{line}: self.score is step 'score'" in exc.message
    assert "self.score_value" in exc.message


def test_storing_a_step_method_says_so_instead_of_pickling_the_stores():
    step, exc = _exception({"mode": "step_value"})
    assert step == "join"
    assert exc.type == "ArtifactError"
    assert "artifact 'total'" in exc.message
    assert "flow object StepNamedArtifactFlow (or one of its steps) cannot be stored as an artifact" in exc.message
