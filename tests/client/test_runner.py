"""Runner: a flow run from Python (notebooks, scripts) in Metaflow's shape."""
from __future__ import annotations

import os

import pytest

from sfncompile import Run, Runner
from sfncompile.exception import CommandException

from ..local.helpers import EXAMPLES, LOCAL_FLOWS


def test_runner_runs_with_parameters_and_returns_the_run(capsys):
    result = Runner(os.path.join(EXAMPLES, "train.py"), alpha=0.3).run(tags=["nb"])
    assert result.status == "successful" and result.returncode == 0
    assert isinstance(result.run, Run) and result.run.successful
    assert result.run.parameters["alpha"] == 0.3 and result.data.best == result.run.data.best
    assert result.run.user_tags == {"nb"}
    assert f"TrainFlow/{result.run.id}" in capsys.readouterr().out  # the run's output was shown


def test_runner_failure_then_resume(tmp_path):
    flow = os.path.join(LOCAL_FLOWS, "resume_flow.py")
    counter = tmp_path / "count"
    with Runner(flow, show_output=False, env={"RESUME_FLOW_FAIL": "1", "RESUME_FLOW_COUNTER": str(counter)}) as runner:
        failed = runner.run(scale=2)
        assert failed.status == "failed" and failed.returncode == 1 and not failed.run.successful
        assert "injected failure" in failed.stderr + failed.stdout
    counter.write_text("")
    with Runner(flow, show_output=False, env={"RESUME_FLOW_COUNTER": str(counter)}) as runner:
        with runner.resume(origin_run_id=failed.run.id) as resumed:
            assert resumed.status == "successful"
            assert resumed.run.origin_run_id == failed.run.id
            assert resumed.run.data.total == 2 * (1 + 4 + 9)
    assert counter.read_text().split() == ["train", "end"]


def test_runner_errors_before_a_run_are_one_line():
    with pytest.raises(CommandException, match="failed before a run started: .*epochs"):
        Runner(os.path.join(EXAMPLES, "parameters.py"), show_output=False, label="x", epochs="two").run()
    with pytest.raises(CommandException, match="does not exist"):
        Runner("no_such_flow.py")
