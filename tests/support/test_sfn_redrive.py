"""Adapter I (sfn_redrive.py): RedriveExecution follows AWS's documented rule.

"continues the failed execution from the unsuccessful step [...] doesn't rerun [the
successful] steps [...] For workflows that include an Inline Map or Parallel state,
RedriveExecution [...] redrives only the iterations and branches that failed"
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html).
Each test fails the first attempt somewhere, redrives, and counts the Batch jobs.
"""
from __future__ import annotations

import inspect
import time

import pytest

from tests.support import moto_adapters, sfn_redrive
from tests.support.test_moto_adapters import batch_task

pytest_plugins = ["tests.support.fixtures"]
pytestmark = pytest.mark.usefixtures("moto_aws_instant")


def test_moto_still_lacks_redrive_execution(moto_server):
    """Adapter I adds RedriveExecution; if moto grows its own, the adapter must go."""
    from moto.stepfunctions import models, responses
    from moto.stepfunctions.parser import models as parser_models
    from moto.stepfunctions.parser.backend import execution

    for module in (responses, models, parser_models, execution):
        assert "def redrive_execution" not in inspect.getsource(module), module.__name__
    added = [(owner.__name__, name) for owner, name, had_own, _ in moto_adapters._PATCHES._saved
             if name == "redrive_execution"]
    assert sorted(added) == [("StepFunctionResponse", "redrive_execution"),
                             ("StepFunctionsParserBackend", "redrive_execution")]
    assert not any(had_own for _, name, had_own, _ in moto_adapters._PATCHES._saved if name == "redrive_execution")


def _fail_once(moto_aws, failing):
    """Jobs named in ``failing`` fail until the test redrives; returns the flag to flip.

    A failing job fails a second late, so that its siblings have finished: a sibling
    still running when a branch fails is aborted, and AWS redrives aborted ones too.
    """
    phase = {"redriven": False}

    def on_job(record, attempt):
        if record.job_name in failing and not phase["redriven"]:
            time.sleep(1.0)
            return 1
        return 0

    moto_aws.batch.on_job = on_job
    return phase


def _run_and_redrive(moto_aws, definition, failing):
    phase = _fail_once(moto_aws, failing)
    machine = moto_aws.create_state_machine(definition)
    arn = moto_aws.start_execution(machine, {"run": "sfn-r", "items": [0, 1, 2]}, name="r")
    assert moto_aws.wait_for_execution(arn)["status"] == "FAILED"
    first = [j.job_name for j in moto_aws.batch_jobs()]
    phase["redriven"] = True
    moto_aws.client("stepfunctions").redrive_execution(executionArn=arn)
    done = moto_aws.wait_for_execution(arn)
    assert done["status"] == "SUCCEEDED", done
    return first, [j.job_name for j in moto_aws.batch_jobs()][len(first):]


def test_redrive_resumes_at_the_failed_state_of_a_linear_machine(moto_aws, aws_stack):
    definition = {"StartAt": "one", "States": {
        "one": batch_task(aws_stack, "one", Next="two", end=False, ResultPath=None),
        "two": batch_task(aws_stack, "two", Next="three", end=False, ResultPath=None),
        "three": batch_task(aws_stack, "three", ResultPath=None),
    }}
    first, redriven = _run_and_redrive(moto_aws, definition, {"two"})
    assert first == ["one", "two"]
    assert redriven == ["two", "three"], "one succeeded before: its result is kept, its job not submitted again"


def test_redrive_reruns_only_the_failed_branch_of_a_parallel(moto_aws, aws_stack):
    def branch(name):
        return {"StartAt": name, "States": {name: batch_task(aws_stack, name, ResultPath=None)}}

    definition = {"StartAt": "P", "States": {
        "P": {"Type": "Parallel", "Branches": [branch("left"), branch("right")], "ResultPath": None, "Next": "after"},
        "after": batch_task(aws_stack, "after", ResultPath=None),
    }}
    first, redriven = _run_and_redrive(moto_aws, definition, {"right"})
    assert sorted(first) == ["left", "right"]
    assert redriven == ["right", "after"]


def test_redrive_reruns_only_the_failed_iteration_of_an_inline_map_from_its_failed_state(moto_aws, aws_stack):
    body = {"StartAt": "prep", "States": {
        "prep": batch_task(aws_stack, "prep", Next="work", end=False, ResultPath=None,
                           Parameters={"JobName.$": "States.Format('prep-{}', $.i)",
                                       "JobQueue": aws_stack["job_queue"],
                                       "JobDefinition": aws_stack["job_definition"]}),
        "work": batch_task(aws_stack, "work", ResultPath=None,
                           Parameters={"JobName.$": "States.Format('work-{}', $.i)",
                                       "JobQueue": aws_stack["job_queue"],
                                       "JobDefinition": aws_stack["job_definition"]}),
    }}
    definition = {"StartAt": "M", "States": {
        "M": {"Type": "Map", "ItemsPath": "$.items", "ItemSelector": {"i.$": "$$.Map.Item.Value"},
              "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, **body}, "ResultPath": None, "End": True},
    }}
    first, redriven = _run_and_redrive(moto_aws, definition, {"work-1"})
    assert sorted(first) == ["prep-0", "prep-1", "prep-2", "work-0", "work-1", "work-2"]
    assert redriven == ["work-1"], "iterations 0 and 2 succeeded; iteration 1 resumes at its failed state"
    assert "M" not in sfn_redrive.RESULTS.replayed[next(iter(sfn_redrive.RESULTS.replayed))], \
        "the failed Map itself runs again (and schedules its iterations)"
