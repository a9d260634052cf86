"""Guard and behaviour tests of the emulated-AWS harness (tests/support/).

The guard tests fail loudly when moto is not the pinned version or when a moto
internal an adapter patches has changed. The behaviour tests prove each adapter
does what moto_adapters.py says, on a real ThreadedMotoServer.
"""
from __future__ import annotations

import inspect
import json
import sys
import threading
import time

import pytest

import moto
from tests.support import moto_adapters, sfn_redrive
from tests.support.eventbridge import EVENTBRIDGE_INTERNALS
from tests.support.aws_resources import CONFIG_KEYS, TASK_COMMAND, create_stack, write_config
from tests.support.moto_adapters import (
    ATTEMPT_TIMEOUT_REASON,
    ESSENTIAL_CONTAINER_EXITED,
    PATCHED_INTERNALS,
    STOPPED_EXECUTION_JOB_REASON,
    PINNED_MOTO_VERSION,
    BatchAttempt,
    PatchedInternal,
    retry_decision,
    substitute_refs,
)

pytest_plugins = ["tests.support.fixtures"]

SUBMIT_SYNC = "arn:aws:states:::batch:submitJob.sync"


# ----------------------------------------------------------------------------- guards


def test_moto_is_the_pinned_version():
    assert moto.__version__ == PINNED_MOTO_VERSION, (
        f"tests/support/moto_adapters.py patches internals of moto {PINNED_MOTO_VERSION}, "
        f"but moto {moto.__version__} is installed. Keep moto[server]=={PINNED_MOTO_VERSION} "
        "pinned, or re-verify every PATCHED_INTERNALS entry against the new version."
    )


def _internal_id(internal: PatchedInternal) -> str:
    return f"{internal.adapter}:{internal.module.rsplit('.', 1)[-1]}.{internal.qualname}"


@pytest.mark.parametrize("internal", PATCHED_INTERNALS + sfn_redrive.REDRIVE_INTERNALS + EVENTBRIDGE_INTERNALS,
                         ids=_internal_id)
def test_patched_moto_internal_is_unchanged(internal: PatchedInternal):
    where = f"{internal.module}.{internal.qualname} (adapter {internal.adapter}, moto {PINNED_MOTO_VERSION})"
    try:
        obj = moto_adapters.resolve_original(internal)
    except (ImportError, AttributeError) as err:
        pytest.fail(f"moto internal {where} no longer exists: {err}")
    if internal.params is not None:
        func = obj.__func__ if isinstance(obj, (classmethod, staticmethod)) else obj
        assert callable(func), f"moto internal {where} is no longer callable"
        params = tuple(inspect.signature(func).parameters)
        assert params == internal.params, (
            f"moto internal {where} changed signature: expected {internal.params}, found {params}"
        )
    if internal.source_contains:
        target = moto_adapters.resolve_original(internal, internal.source_of) if internal.source_of else obj
        if isinstance(target, property):
            target = target.fget
        if isinstance(target, (classmethod, staticmethod)):
            target = target.__func__
        source = inspect.getsource(target)
        for snippet in internal.source_contains:
            assert snippet in source, (
                f"moto internal {internal.module}.{internal.source_of or internal.qualname} "
                f"(patched by adapter {internal.adapter} for moto {PINNED_MOTO_VERSION}) no longer "
                f"contains {snippet!r}: re-check the adapter against the new code"
            )


def test_every_adapter_is_installed(moto_server):
    from moto.batch import models as batch_models
    from moto.batch import responses as batch_responses
    from moto.stepfunctions.parser import models as parser_models
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
        distributed_iteration_component,
        iteration_worker,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
    from moto.stepfunctions.parser.asl.utils import boto_client

    batch_svc = moto_adapters.StateTaskServiceBatch
    assert batch_svc._eval_parameters is moto_adapters._batch_eval_parameters
    assert batch_svc._normalise_parameters is moto_adapters._batch_normalise_parameters
    assert hasattr(batch_svc._eval_execution, "__sfncompile_original__")
    assert batch_svc._normalise_response is moto_adapters._batch_normalise_response
    assert branches_decl.CustomErrorName is moto_adapters.preserving_error_name
    assert iteration_worker.CustomErrorName is moto_adapters.preserving_error_name
    assert batch_models.Job.run is moto_adapters._job_run
    assert batch_models.JOB_NAME_REGEX is moto_adapters.DOCUMENTED_JOB_NAME
    assert batch_models.BatchBackend.describe_jobs is moto_adapters._describe_jobs_of_a_snapshot
    assert hasattr(batch_responses.BatchResponse.submitjob, "__sfncompile_original__")
    assert hasattr(batch_svc._build_sync_resolver, "__sfncompile_original__")
    assert isinstance(boto_client.boto3, moto_adapters._InterpreterBoto3)
    assert isinstance(retrier_decl.time, moto_adapters.RetrySleeps)
    assert isinstance(parser_models.copy, moto_adapters._SnapshotCopy)
    assert hasattr(parser_models.StepFunctionsParserBackend.start_execution, "__sfncompile_original__")
    assert hasattr(distributed_iteration_component.DistributedIterationComponent._map_run,
                   "__sfncompile_original__")
    from moto.stepfunctions import responses as sfn_responses

    backend_cls = parser_models.StepFunctionsParserBackend
    assert backend_cls.redrive_execution is sfn_redrive._backend_redrive_execution
    assert sfn_responses.StepFunctionResponse.redrive_execution is sfn_redrive._response_redrive_execution
    assert hasattr(sfn_responses.StepFunctionResponse.describe_execution, "__sfncompile_original__")
    assert hasattr(backend_cls.stop_execution, "__sfncompile_original__")


# ----------------------------------------------------------------------------- helpers


def batch_task(cfg, name, *, command=None, parameters=None, end=True, **fields):
    """A submitJob.sync Task on the stack's queue/definition, PascalCase as on AWS."""
    params = {"JobName": name, "JobQueue": cfg["job_queue"], "JobDefinition": cfg["job_definition"]}
    if parameters is not None:
        params["Parameters"] = parameters
    if command is not None:
        params["ContainerOverrides"] = {"Command": command}
    state = {"Type": "Task", "Resource": SUBMIT_SYNC, "Parameters": params, **fields}
    if end and "Next" not in fields:
        state["End"] = True
    return state


def py(code, *args):
    """A job command running ``code`` with this interpreter (mapped from "python")."""
    return ["python", "-c", code, *args]


def catching(state, errors):
    return {"StartAt": "S", "States": {
        "S": {**state, "Catch": [{"ErrorEquals": errors, "ResultPath": "$.error", "Next": "Caught"}], "End": True},
        "Caught": {"Type": "Pass", "End": True},
    }}


# ----------------------------------------------------------------------------- A: casing


@pytest.mark.usefixtures("moto_aws_instant")
def test_submit_job_sync_converts_pascal_case_parameters(moto_aws, aws_stack):
    task = {
        "Type": "Task", "Resource": SUBMIT_SYNC, "End": True,
        "Parameters": {
            "JobName": "start-0",
            "JobQueue": aws_stack["job_queue"],
            "JobDefinition": aws_stack["job_definition"],
            "Parameters": {"s": "start", "r.$": "$.run", "t": "0",
                           "a.$": "States.Format('{}', $$.State.RetryCount)", "MixedCase_Key": "kept"},
            "ContainerOverrides": {
                "ResourceRequirements": [{"Type": "VCPU", "Value": "2"}, {"Type": "MEMORY", "Value": "4096"}],
                "Environment": [{"Name": "SFNCOMPILE_FLOW_FILE", "Value": "flow.py"}],
            },
            "RetryStrategy": {"Attempts": 2, "EvaluateOnExit": [{"OnExitCode": "*", "Action": "EXIT"}]},
            "Timeout": {"AttemptDurationSeconds": 600},
            "Tags": {"sfncompile:Flow": "TrainFlow", "CamelTag": "v"},
        },
    }
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": task}}, {"run": "sfn-abc"})
    assert result["status"] == "SUCCEEDED", result

    (job,) = moto_aws.batch_jobs()
    assert job.job_name == "start-0"
    assert job.submitted_parameters == {"s": "start", "r": "sfn-abc", "t": "0", "a": "0",
                                        "MixedCase_Key": "kept"}
    assert job.command == ["sfncompile", "task", "start", "--run-id", "sfn-abc", "--task-id", "0", "--attempt", "0"]
    assert job.resource_requirements == [{"type": "VCPU", "value": "2"}, {"type": "MEMORY", "value": "4096"}]
    assert job.effective_resources == {"VCPU": "2", "MEMORY": "4096"}
    assert job.environment_overrides == {"SFNCOMPILE_FLOW_FILE": "flow.py",
                                         "MANAGED_BY_AWS": "STARTED_BY_STEP_FUNCTIONS"}
    assert job.environment["SFNCOMPILE_DATASTORE"] == "s3://sfncompile-test-datastore/sfncompile"
    assert job.retry_strategy == {"attempts": 2, "evaluateOnExit": [{"onExitCode": "*", "action": "EXIT"}]}
    assert job.timeout_seconds == 600
    assert job.tags == {"sfncompile:Flow": "TrainFlow", "CamelTag": "v"}

    # The .sync output is the DescribeJobs job in PascalCase; map keys stay as written.
    output = json.loads(result["output"])
    assert output["JobName"] == "start-0" and output["Status"] == "SUCCEEDED"
    assert output["Parameters"]["MixedCase_Key"] == "kept"
    assert output["Attempts"][0]["Container"]["ExitCode"] == 0


@pytest.mark.usefixtures("moto_aws_instant")
@pytest.mark.parametrize("name, status", [("a", "SUCCEEDED"), ("a" * 128, "SUCCEEDED"), ("-a", "FAILED"),
                                          ("a" * 129, "FAILED")])
def test_job_names_follow_the_documented_pattern(moto_aws, aws_stack, name, status):
    """Adapter L: one character is a valid job name on AWS (moto alone wants two)."""
    task = {"Type": "Task", "Resource": SUBMIT_SYNC, "End": True,
            "Parameters": {"JobName": name, "JobQueue": aws_stack["job_queue"],
                           "JobDefinition": aws_stack["job_definition"],
                           "Parameters": {"s": "start", "r": "sfn-abc"}}}
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": task}}, {})
    assert result["status"] == status, result


@pytest.mark.usefixtures("moto_aws_instant")
@pytest.mark.parametrize("bad, error, message", [
    ({"RetryStrateg": {"Attempts": 2}}, "States.Runtime", "The field 'RetryStrateg' is not supported"),
    ({"Parameters": {"attempt": 0}}, "Batch.ClientException", "Invalid type for parameter parameters.attempt"),
    ({"ContainerOverrides": {"Environment": [{"Name": "A", "Valu": "x"}]}}, "Batch.ClientException", "Valu"),
])
def test_invalid_batch_parameters_fail_loudly(moto_aws, aws_stack, bad, error, message):
    state = batch_task(aws_stack, "bad-params")
    state["Parameters"].update(bad)
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": state}})
    assert result["status"] == "FAILED"
    assert result["error"] == error
    assert message in result["cause"]
    assert moto_aws.batch_jobs() == []


# ----------------------------------------------------------------------------- B: error names


def _fail_job(name):
    return lambda record, attempt: 3 if record.job_name == name else None


@pytest.mark.usefixtures("moto_aws_instant")
@pytest.mark.parametrize("errors", [["States.TaskFailed"], ["States.ALL"]])
def test_parallel_branch_failure_is_caught_on_the_parallel(moto_aws, aws_stack, errors):
    moto_aws.batch.on_job = _fail_job("bad")
    parallel = {"Type": "Parallel", "Branches": [
        {"StartAt": "ok", "States": {"ok": batch_task(aws_stack, "ok")}},
        {"StartAt": "bad", "States": {"bad": batch_task(aws_stack, "bad")}},
    ]}
    result = moto_aws.run_definition(catching(parallel, errors))
    assert result["status"] == "SUCCEEDED", result
    error = json.loads(result["output"])["error"]
    assert error["Error"] == "States.TaskFailed"
    assert json.loads(error["Cause"])["StatusReason"] == ESSENTIAL_CONTAINER_EXITED


@pytest.mark.usefixtures("moto_aws_instant")
@pytest.mark.parametrize("errors", [["States.TaskFailed"], ["States.ALL"]])
def test_map_iteration_failure_is_caught_on_the_map(moto_aws, aws_stack, errors):
    moto_aws.batch.on_job = _fail_job("item-1")
    item = batch_task(aws_stack, "x")
    item["Parameters"].pop("JobName")
    item["Parameters"]["JobName.$"] = "States.Format('item-{}', $.index)"
    map_state = {
        "Type": "Map", "ItemsPath": "$.items", "MaxConcurrency": 1,
        "ItemSelector": {"index.$": "$$.Map.Item.Index"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "t", "States": {"t": item}},
    }
    result = moto_aws.run_definition(catching(map_state, errors), {"items": ["a", "b", "c"]})
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"])["error"]["Error"] == "States.TaskFailed"
    assert [j.job_name for j in moto_aws.batch_jobs()][:2] == ["item-0", "item-1"]


def test_parallel_branch_timeout_keeps_states_timeout(moto_aws, aws_stack):
    slow = batch_task(aws_stack, "slow", command=py("import time; time.sleep(30)"), TimeoutSeconds=1)
    parallel = {"Type": "Parallel", "Branches": [{"StartAt": "slow", "States": {"slow": slow}}]}
    result = moto_aws.run_definition(catching(parallel, ["States.Timeout"]))
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"])["error"]["Error"] == "States.Timeout"


# ----------------------------------------------------------------------------- C: jobs


def test_job_runs_as_a_subprocess_with_env_and_ref_parameters(moto_aws, aws_stack):
    code = "import os, sys; print(os.environ['GREETING'], sys.argv[1], os.environ['AWS_ENDPOINT_URL'])"
    state = batch_task(aws_stack, "hello", parameters={"who": "world"})
    state["Parameters"]["ContainerOverrides"] = {
        "Command": py(code, "Ref::who"),
        "Environment": [{"Name": "GREETING", "Value": "hello"}],
    }
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": state}})
    assert result["status"] == "SUCCEEDED", result

    (job,) = moto_aws.batch_jobs()
    assert job.command == ["python", "-c", code, "world"]
    assert job.argv == [sys.executable, "-c", code, "world"]
    assert job.exit_code == 0
    assert job.stdout == f"hello world {moto_aws.endpoint_url}\n"
    assert job.stderr == ""
    # ... and the awslogs driver's copy in CloudWatch Logs.
    logs = moto_aws.client("logs")
    streams = logs.describe_log_streams(logGroupName=aws_stack["batch_log_group"])["logStreams"]
    events = logs.get_log_events(logGroupName=aws_stack["batch_log_group"],
                                 logStreamName=streams[0]["logStreamName"])["events"]
    assert [e["message"] for e in events] == [job.stdout.strip()]


def test_failing_job_fails_the_execution(moto_aws, aws_stack):
    state = batch_task(aws_stack, "boom", command=py("import sys; print('bad', file=sys.stderr); sys.exit(3)"))
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": state}})
    assert result["status"] == "FAILED"
    assert result["error"] == "States.TaskFailed"
    cause = json.loads(result["cause"])
    assert cause["Status"] == "FAILED"
    assert cause["StatusReason"] == ESSENTIAL_CONTAINER_EXITED
    assert [a["Container"]["ExitCode"] for a in cause["Attempts"]] == [3]  # exit code 3: no platform retry
    (job,) = moto_aws.batch_jobs()
    assert (job.status, job.exit_code, job.stderr) == ("FAILED", 3, "bad\n")


def test_job_attempt_timeout_kills_and_is_not_retried(moto_aws, aws_stack):
    state = batch_task(aws_stack, "sleepy", command=py("import time; time.sleep(30)"))
    state["Parameters"]["Timeout"] = {"AttemptDurationSeconds": 1}
    started = time.monotonic()
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": state}})
    assert time.monotonic() - started < 10
    assert result["status"] == "FAILED" and result["error"] == "States.TaskFailed"
    (job,) = moto_aws.batch_jobs()
    assert job.status_reason == ATTEMPT_TIMEOUT_REASON
    assert len(job.attempts) == 1  # the stack's retryStrategy has attempts=3, timeouts are final


@pytest.mark.usefixtures("moto_aws_instant")
def test_platform_failures_are_retried_by_the_job_definition_retry_strategy(moto_aws, aws_stack):
    moto_aws.batch.inject_platform_failure("train", times=2)
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": batch_task(aws_stack, "train")}})
    assert result["status"] == "SUCCEEDED", result
    (job,) = moto_aws.batch_jobs()
    assert [a.status_reason for a in job.attempts] == [
        "Host EC2 (instance i-0123456789abcdef0) terminated.",
        "Host EC2 (instance i-0123456789abcdef0) terminated.",
        None,
    ]
    assert [a["StatusReason"] for a in json.loads(result["output"])["Attempts"][:2]] == [
        "Host EC2 (instance i-0123456789abcdef0) terminated."] * 2


@pytest.mark.usefixtures("moto_aws_instant")
def test_an_image_pull_failure_is_the_containers_reason_and_retried(moto_aws, aws_stack):
    # ECS names an image it cannot pull in the container's reason; the stack retries it (onReason).
    moto_aws.batch.inject_platform_failure("train", times=1, status_reason="Task failed to start",
                                           reason="CannotPullContainerError: no such image")
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": batch_task(aws_stack, "train")}})
    assert result["status"] == "SUCCEEDED", result
    (job,) = moto_aws.batch_jobs()
    assert [(a.status_reason, a.reason) for a in job.attempts] == [
        ("Task failed to start", "CannotPullContainerError: no such image"), (None, None)]
    first = json.loads(result["output"])["Attempts"][0]
    assert first["Container"]["Reason"] == "CannotPullContainerError: no such image"


def test_retry_decision_follows_aws_batch_semantics():
    cdk = {"attempts": 3, "evaluateOnExit": [
        {"onStatusReason": "Host EC2*", "action": "RETRY"},
        {"onExitCode": "*", "action": "exit"},  # moto lower-cases stored actions
        {"onReason": "*", "action": "EXIT"},
    ]}
    host = BatchAttempt(1, status_reason="Host EC2 (instance i-1) terminated.")
    user = BatchAttempt(1, exit_code=1, status_reason=ESSENTIAL_CONTAINER_EXITED)
    pull = BatchAttempt(1, reason="CannotPullContainerError: x", status_reason="Task failed to start")
    assert retry_decision(cdk, host) == "RETRY"
    assert retry_decision(cdk, user) == "EXIT"
    assert retry_decision(cdk, pull) == "EXIT"
    assert retry_decision({"attempts": 2}, user) == "RETRY"  # no evaluateOnExit: retry
    assert retry_decision({"attempts": 2, "evaluateOnExit": [{"onExitCode": "137", "action": "EXIT"}]},
                          user) == "RETRY"  # no entry matches: retry
    assert substitute_refs(["a", "Ref::x", "Ref::xs", "Ref::y"], {"x": "1", "xs": "2"}) == ["a", "1", "2", "Ref::y"]


@pytest.mark.usefixtures("moto_aws_instant")
def test_instant_mode_records_the_task_command(moto_aws, aws_stack):
    params = {"s": "end", "r": "sfn-1", "t": "0", "a": "0"}
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": batch_task(aws_stack, "end-0", parameters=params)}})
    assert result["status"] == "SUCCEEDED"
    (job,) = moto_aws.batch_jobs()
    assert job.command == ["sfncompile", "task", "end", "--run-id", "sfn-1", "--task-id", "0", "--attempt", "0"]
    assert job.argv is None and job.attempts[0].exit_code == 0
    assert moto_aws.batch.resolve_argv(job.command)[:3] == [sys.executable, "-m", "sfncompile"]


@pytest.mark.usefixtures("moto_aws_instant")
def test_five_step_linear_flow_with_instant_jobs_is_fast(moto_aws, aws_stack):
    states = {
        f"s{i}": batch_task(aws_stack, f"s{i}", parameters={"s": f"s{i}", "r": "r", "t": "0", "a": "0"},
                            end=i == 4, **({"Next": f"s{i + 1}"} if i < 4 else {}))
        for i in range(5)
    }
    arn = moto_aws.create_state_machine({"StartAt": "s0", "States": states})
    moto_aws.run_execution(arn)  # warm-up: first parse of an ASL document is slower
    moto_aws.batch.clear()
    moto_aws.set_batch_mode("instant")
    started = time.monotonic()
    result = moto_aws.run_execution(arn)
    elapsed = time.monotonic() - started
    assert result["status"] == "SUCCEEDED"
    assert [j.job_name for j in moto_aws.batch_jobs()] == ["s0", "s1", "s2", "s3", "s4"]
    # ~0.2-0.3 s on an idle machine; the bound leaves room for a loaded CI host. (moto
    # alone: >= 2 s of Batch status sleeps per job plus 0.5 s .sync polls per step.)
    assert elapsed < 6, f"5 instant steps took {elapsed:.2f}s"


# ----------------------------------------------------------------------------- integrations


@pytest.mark.usefixtures("moto_aws_instant")
def test_distributed_map_reads_items_from_s3(moto_aws, aws_stack):
    bucket = aws_stack["bucket"]
    key = "sfncompile/F/runs/sfn-1/start/0/foreach.json"
    moto_aws.client("s3").put_object(Bucket=bucket, Key=key, Body=json.dumps([0, 1, 2, 3, 4]))
    item = batch_task(aws_stack, "x", parameters={"s": "body", "r": "sfn-1", "a": "0"})
    item["Parameters"].pop("JobName")
    item["Parameters"]["JobName.$"] = "States.Format('body-{}', $.index)"
    item["Parameters"]["Parameters"]["t.$"] = "States.Format('{}', $.index)"
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                       "Parameters": {"Bucket": bucket, "Key.$": "$.key"}},
        "ItemSelector": {"index.$": "$$.Map.Item.Value"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "t", "States": {"t": item}},
        "MaxConcurrency": 10, "ResultPath": None, "End": True,
    }}}
    result = moto_aws.run_definition(definition, {"key": key})
    assert result["status"] == "SUCCEEDED", result
    jobs = moto_aws.batch_jobs()
    assert sorted(j.job_name for j in jobs) == [f"body-{i}" for i in range(5)]
    assert sorted(j.command[6] for j in jobs) == ["0", "1", "2", "3", "4"]


@pytest.mark.usefixtures("moto_aws_instant")
def test_distributed_map_item_failure_fails_the_map_run(moto_aws, aws_stack):
    moto_aws.client("s3").put_object(Bucket=aws_stack["bucket"], Key="items.json", Body="[0, 1, 2]")
    moto_aws.batch.on_job = _fail_job("item-1")
    item = batch_task(aws_stack, "x")
    item["Parameters"].pop("JobName")
    item["Parameters"]["JobName.$"] = "States.Format('item-{}', $)"
    definition = {"StartAt": "M", "States": {"M": {
        "Type": "Map",
        "ItemReader": {"Resource": "arn:aws:states:::s3:getObject", "ReaderConfig": {"InputType": "JSON"},
                       "Parameters": {"Bucket": aws_stack["bucket"], "Key": "items.json"}},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                          "StartAt": "t", "States": {"t": item}},
        "End": True,
    }}}
    result = moto_aws.run_definition(definition)
    assert result["status"] == "FAILED"
    assert result["error"] == "States.ExceedToleratedFailureThreshold"
    definition["States"]["M"]["ToleratedFailureCount"] = 1
    assert moto_aws.run_definition(definition)["status"] == "SUCCEEDED"


def test_dynamodb_get_item_and_update_item_integrations(moto_aws, aws_stack):
    ddb, table = moto_aws.client("dynamodb"), aws_stack["table"]
    ddb.put_item(TableName=table, Item={"pk": {"S": "RUN#F#sfn-1"}, "sk": {"S": "TASK#start#0"},
                                        "cardinality": {"N": "3"}, "choice": {"S": "left"}})
    definition = {"StartAt": "Get", "States": {
        "Get": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:getItem",
                "Parameters": {"TableName": table, "ConsistentRead": True, "Key": {
                    "pk": {"S.$": "States.Format('RUN#F#{}', $.run)"}, "sk": {"S": "TASK#start#0"}}},
                "ResultSelector": {"cardinality.$": "States.StringToJson($.Item.cardinality.N)",
                                   "choice.$": "$.Item.choice.S"},
                "ResultPath": "$.task", "Next": "Route"},
        "Route": {"Type": "Choice", "Default": "Wrong",
                  "Choices": [{"Variable": "$.task.choice", "StringEquals": "left", "Next": "Items"}]},
        "Items": {"Type": "Pass", "ResultPath": "$.items",
                  "Parameters": {"range.$": "States.ArrayRange(0, States.MathAdd($.task.cardinality, -1), 1)"},
                  "Next": "Done"},
        "Done": {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:updateItem", "ResultPath": None,
                 "Parameters": {"TableName": table, "Key": {"pk": {"S": "FLOW#F"}, "sk": {"S": "RUN#sfn-1"}},
                                "UpdateExpression": "SET #s = :s, finished_at = :t",
                                "ExpressionAttributeNames": {"#s": "status"},
                                "ExpressionAttributeValues": {":s": {"S": "SUCCEEDED"},
                                                              ":t": {"S.$": "$$.State.EnteredTime"}}},
                 "End": True},
        "Wrong": {"Type": "Fail", "Error": "WrongBranch"},
    }}
    result = moto_aws.run_definition(definition, {"run": "sfn-1"})
    assert result["status"] == "SUCCEEDED", result
    assert json.loads(result["output"])["items"] == {"range": [0, 1, 2]}
    item = ddb.get_item(TableName=table, Key={"pk": {"S": "FLOW#F"}, "sk": {"S": "RUN#sfn-1"}})["Item"]
    assert item["status"] == {"S": "SUCCEEDED"} and item["finished_at"]["S"].startswith("20")


# ----------------------------------------------------------------------------- E, F, harness


@pytest.mark.usefixtures("moto_aws_instant")
def test_retry_intervals_are_recorded_and_retry_count_reaches_the_job(moto_aws, aws_stack):
    moto_aws.batch.on_job = lambda record, attempt: 0 if record.submitted_parameters["a"] == "2" else 1
    state = batch_task(aws_stack, "flaky", parameters={"s": "s", "r": "r", "t": "0",
                                                       "a.$": "States.Format('{}', $$.State.RetryCount)"})
    state["Retry"] = [{"ErrorEquals": ["States.TaskFailed"], "IntervalSeconds": 2, "BackoffRate": 3,
                       "MaxAttempts": 2}]
    result = moto_aws.run_definition({"StartAt": "T", "States": {"T": state}})
    assert result["status"] == "SUCCEEDED", result
    assert [j.submitted_parameters["a"] for j in moto_aws.batch_jobs()] == ["0", "1", "2"]
    assert moto_aws.retry_sleeps.requested == [2.0, 6.0]


def test_a_state_machine_runs_more_than_once(moto_aws):
    arn = moto_aws.create_state_machine({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    assert moto_aws.run_execution(arn)["status"] == "SUCCEEDED"
    assert moto_aws.run_execution(arn)["status"] == "SUCCEEDED"
    sfn = moto_aws.client("stepfunctions")
    unnamed = [sfn.start_execution(stateMachineArn=arn)["executionArn"] for _ in range(2)]
    assert len(set(unnamed)) == 2 and not any(a.endswith(":None") for a in unnamed)


def test_reset_forgets_resources_and_jobs(moto_server):
    moto_server.reset()
    cfg = create_stack(moto_server)
    moto_server.set_batch_mode("instant")
    moto_server.run_definition({"StartAt": "T", "States": {"T": batch_task(cfg, "one")}})
    assert len(moto_server.batch_jobs()) == 1
    moto_server.reset()
    assert moto_server.batch_jobs() == [] and moto_server.batch.mode == "subprocess"
    assert moto_server.client("s3").list_buckets()["Buckets"] == []


def test_stack_config_has_the_config_file_shape(moto_aws, aws_stack, tmp_path, aws_subprocess_env):
    assert tuple(aws_stack) == CONFIG_KEYS
    assert aws_stack["bucket"] == "sfncompile-test-datastore"
    assert aws_stack["table"] == "sfncompile-test-metadata"
    assert aws_stack["job_queue"].endswith(":job-queue/sfncompile-test")
    assert aws_stack["job_definition"].endswith(":job-definition/sfncompile-test:1")
    jd = moto_aws.client("batch").describe_job_definitions(
        jobDefinitions=[aws_stack["job_definition"]])["jobDefinitions"][0]
    assert jd["containerProperties"]["command"] == TASK_COMMAND
    env = {e["name"]: e["value"] for e in jd["containerProperties"]["environment"]}
    assert env["SFNCOMPILE_DATASTORE"] == "s3://sfncompile-test-datastore/sfncompile"
    assert env["SFNCOMPILE_METADATA"] == "dynamodb:sfncompile-test-metadata"
    table = moto_aws.client("dynamodb").describe_table(TableName=aws_stack["table"])["Table"]
    assert table["BillingModeSummary"]["BillingMode"] == "PAY_PER_REQUEST"
    assert {k["AttributeName"]: k["KeyType"] for k in table["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    path = write_config(aws_stack, tmp_path / "cfg" / "config.json")
    assert json.loads(path.read_text()) == aws_stack
    assert aws_subprocess_env["AWS_ENDPOINT_URL"] == moto_aws.endpoint_url
    assert aws_subprocess_env["AWS_DEFAULT_REGION"] == "us-east-1"
    assert "AWS_PROFILE" not in aws_subprocess_env


# ----------------------------------------------------------------------------- I: redrive, J: stop


@pytest.mark.usefixtures("moto_aws_instant")
def test_redrive_restarts_the_same_execution_and_counts(moto_aws, aws_stack):
    from botocore.exceptions import ClientError

    phase = {"redriven": False}
    gate = threading.Event()

    def on_job(record, attempt):
        if record.job_name == "second" and not phase["redriven"]:
            return 1  # fails in the original execution
        if record.job_name == "second" and phase["redriven"]:
            gate.wait(10)  # holds the redriven execution RUNNING while the test looks
        return 0

    moto_aws.batch.on_job = on_job
    definition = {"StartAt": "first", "States": {
        "first": batch_task(aws_stack, "first", end=False, Next="second", ResultPath=None),
        "second": batch_task(aws_stack, "second", ResultSelector={"status.$": "$.Status"}),
    }}
    machine = moto_aws.create_state_machine(definition)
    sfn = moto_aws.client("stepfunctions")
    arn = moto_aws.start_execution(machine, {"run": "sfn-exec-1"}, name="exec-1")
    failed = moto_aws.wait_for_execution(arn)
    assert failed["status"] == "FAILED" and failed["error"] == "States.TaskFailed"
    assert (failed["redriveCount"], failed["redriveStatus"]) == (0, "REDRIVABLE")
    assert "redriveDate" not in failed

    phase["redriven"] = True
    answer = sfn.redrive_execution(executionArn=arn)
    assert answer["redriveDate"].timestamp() > failed["startDate"].timestamp()
    running = sfn.describe_execution(executionArn=arn)  # no stale FAILED for a poller to see
    assert running["status"] == "RUNNING" and running["redriveCount"] == 1
    assert running["redriveStatus"] == "NOT_REDRIVABLE"
    assert running["redriveStatusReason"] == "Execution is RUNNING and cannot be redriven."
    assert "error" not in running and "stopDate" not in running
    with pytest.raises(ClientError) as busy:
        sfn.redrive_execution(executionArn=arn)
    assert busy.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    gate.set()

    done = moto_aws.wait_for_execution(arn)
    assert done["status"] == "SUCCEEDED", done
    assert json.loads(done["output"]) == {"status": "SUCCEEDED"}
    # The same execution: ARN, name, input, start date; one execution in the list.
    assert (done["executionArn"], done["name"], json.loads(done["input"])) == (arn, "exec-1", {"run": "sfn-exec-1"})
    assert done["startDate"] == failed["startDate"]
    assert done["redriveCount"] == 1 and done["redriveDate"] == answer["redriveDate"]
    assert [e["executionArn"] for e in sfn.list_executions(stateMachineArn=machine)["executions"]] == [arn]
    # As on AWS, the redrive resumes at the failed "second": the finished "first" is not run again.
    assert [j.job_name for j in moto_aws.batch_jobs()] == ["first", "second", "second"]

    with pytest.raises(ClientError) as succeeded:
        sfn.redrive_execution(executionArn=arn)
    assert succeeded.value.response["Error"]["Code"] == "ExecutionNotRedrivable"
    assert "Execution is SUCCEEDED and cannot be redriven." in str(succeeded.value)
    with pytest.raises(ClientError) as missing:
        sfn.redrive_execution(executionArn=arn.replace("exec-1", "exec-2"))
    assert missing.value.response["Error"]["Code"] == "ExecutionDoesNotExist"


def test_stop_execution_terminates_its_running_batch_job(moto_aws, aws_stack, tmp_path):
    woke = tmp_path / "woke"
    state = batch_task(aws_stack, "sleepy", command=py(f"import time; time.sleep(30); open({str(woke)!r}, 'w')"))
    other = moto_aws.run_definition({"StartAt": "T", "States": {"T": batch_task(
        aws_stack, "quick", command=py("pass"))}})  # another execution's finished job is left alone
    assert other["status"] == "SUCCEEDED"
    machine = moto_aws.create_state_machine({"StartAt": "T", "States": {"T": state}})
    arn = moto_aws.start_execution(machine)
    deadline = time.monotonic() + 15
    while not any(j.job_name == "sleepy" and j.status == "RUNNING" for j in moto_aws.batch_jobs()):
        assert time.monotonic() < deadline, "the job never started"
        time.sleep(0.05)
    started = time.monotonic()
    moto_aws.client("stepfunctions").stop_execution(executionArn=arn, error="E", cause="C")
    job = next(j for j in moto_aws.batch_jobs() if j.job_name == "sleepy").wait(5)
    assert time.monotonic() - started < 5
    assert (job.status, job.status_reason) == ("FAILED", STOPPED_EXECUTION_JOB_REASON.format(arn=arn))
    assert job.attempts[-1].exit_code == 137 and len(job.attempts) == 1  # killed, not retried
    assert moto_aws.wait_for_execution(arn, timeout=5)["status"] == "ABORTED"
    assert not woke.exists()
    quick = next(j for j in moto_aws.batch_jobs() if j.job_name == "quick")
    assert (quick.status, quick.status_reason) == ("SUCCEEDED", None)


class _Job:
    """A job whose describe() submits another job, as a server thread can while DescribeJobs iterates."""

    def __init__(self, table: dict, job_id: str) -> None:
        self.table, self.job_id, self.arn = table, job_id, f"arn:aws:batch:us-east-1:1:job/{job_id}"

    def describe(self) -> dict:
        new_id = f"j{len(self.table)}"
        if len(self.table) < 50:
            self.table[new_id] = _Job(self.table, new_id)
        return {"jobId": self.job_id}


def _backend_with_jobs(count: int):
    backend = type("Backend", (), {})()
    backend._jobs = {}
    for i in range(count):
        backend._jobs[f"j{i}"] = _Job(backend._jobs, f"j{i}")
    return backend


def test_describe_jobs_reads_a_snapshot_while_jobs_are_submitted():
    """Adapter M: moto's loop over the live job table fails when a job is submitted meanwhile; ours does not,
    and filters by id or ARN as moto does."""
    original = moto_adapters.resolve_original(
        next(i for i in moto_adapters.PATCHED_INTERNALS if i.qualname == "BatchBackend.describe_jobs"))
    with pytest.raises(RuntimeError, match="changed size during iteration"):
        original(_backend_with_jobs(3), None)
    described = moto_adapters._describe_jobs_of_a_snapshot(_backend_with_jobs(3), None)
    assert [d["jobId"] for d in described] == ["j0", "j1", "j2"]
    backend = _backend_with_jobs(3)
    by_id_and_arn = moto_adapters._describe_jobs_of_a_snapshot(backend, ["j1", backend._jobs["j2"].arn])
    assert [d["jobId"] for d in by_id_and_arn] == ["j1", "j2"]
