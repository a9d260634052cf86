"""Monkeypatches that make moto 5.2.1 emulate what sfncompile uses faithfully enough.

Everything here runs inside the pytest process. ``moto.server.ThreadedMotoServer``
serves HTTP from threads of this process, so a class attribute replaced here is the
code the server runs. Nothing is patched at import time: :func:`install` applies the
patches (idempotently) and :func:`uninstall` restores the originals.

The adapters (each one's comment says what moto does, why that is wrong for us, and
what the patch changes):

A. Batch request/response casing  (``StateTaskServiceBatch._eval_parameters``,
   ``._normalise_parameters``, ``._normalise_response``)
B. ``States.*`` error names inside Parallel branches and Map iterations
   (``branches_decl.CustomErrorName`` / ``iteration_worker.CustomErrorName``)
C. Batch jobs run as local subprocesses  (``moto.batch.models.Job.run``,
   ``moto.batch.responses.BatchResponse.submitjob``), and the ``.sync`` wait is woken
   by job completion instead of a fixed poll (``StateTaskServiceBatch._build_sync_resolver``)
F. Starting executions  (``moto.stepfunctions.parser.models.copy``,
   ``StepFunctionsParserBackend.start_execution``): a second StartExecution fails
   (getmoto/moto#10077, fixed upstream after 5.2.1) and an unnamed one is named "None".
G. Distributed Map tolerated failures  (``DistributedIterationComponent._map_run``):
   moto counts failed child executions but never fails the Map Run.
H. Retry of a ``.sync`` Batch Task  (``StateTaskServiceBatch._eval_execution``): every
   attempt after the first ends as States.Timeout in moto.
I. RedriveExecution, in its own module ``sfn_redrive.py``: moto has no RedriveExecution
   at all. Emulated as AWS documents it: the execution resumes at its unsuccessful
   states and keeps the results of the states that succeeded (inside inline Map and
   Parallel, only failed iterations and branches run again).
J. StopExecution terminates the execution's running ``.sync`` Batch jobs
   (``StepFunctionsParserBackend.stop_execution`` wrapped; the adapter C resolver records
   which execution submitted which job): in moto the job keeps running to its end.
K. EventBridge delivers to Step Functions targets, and executions send their "Execution
   Status Change" events, in its own module ``eventbridge.py`` (moto does neither).
L. Batch job names  (``moto.batch.models.JOB_NAME_REGEX``): moto requires at least two
   characters; AWS documents SubmitJob's ``jobName`` as up to 128 letters, numbers,
   hyphens and underscores, the first alphanumeric
   (https://docs.aws.amazon.com/batch/latest/APIReference/API_SubmitJob.html), so a
   one-letter step's job name ``a`` is valid. The pattern is replaced by the documented one.
M. DescribeJobs while jobs are submitted  (``moto.batch.models.BatchBackend.describe_jobs``):
   moto iterates its job table while the server's other threads (Distributed Map child
   executions, each polling its ``.sync`` job) submit jobs into it, and fails now and then
   with "dictionary changed size during iteration"; the Task then fails. AWS's DescribeJobs
   is a read that concurrent SubmitJobs never break
   (https://docs.aws.amazon.com/batch/latest/APIReference/API_DescribeJobs.html lists only
   client and server errors). The same filter runs over a snapshot of the table.

and two pieces of plumbing:

D. The interpreter's own boto3 clients: moto builds a new client for every Task
   against ``http://localhost:$MOTO_PORT`` (port 5000 unless ``MOTO_PORT`` is set),
   from the shared default boto3 session, which is not thread-safe when several
   Parallel branches / Map iterations create clients at once. We replace the
   ``boto3`` name inside ``moto.stepfunctions.parser.asl.utils.boto_client`` with a
   shim that points ``endpoint_url`` at our server and caches one client per
   (service, region) under a lock.
E. Retry sleeps: ``RetrierDecl._eval_body`` really ``time.sleep``s IntervalSeconds x
   BackoffRate^n (capped by MaxDelaySeconds, FULL jitter = uniform(0, interval)).
   We replace the ``time`` name in ``retrier_decl`` with a shim that records each
   requested interval and sleeps ``interval * scale`` (scale 0 by default).

Every moto internal touched is listed in :data:`PATCHED_INTERNALS`; the guard test
(``test_moto_adapters.py``) checks they all still exist with the expected shape, and
that moto is exactly :data:`PINNED_MOTO_VERSION`.
"""
from __future__ import annotations

import copy
import dataclasses
import functools
import importlib
import inspect
import json
import logging
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

import boto3
import botocore.session
from botocore import xform_name
from botocore.exceptions import ClientError
from botocore.model import ListShape, MapShape, Shape, StructureShape
from botocore.validate import ParamValidator

import moto
from moto.batch import models as batch_models
from moto.batch import responses as batch_responses
from moto.batch.utils import JobStatus
from moto.stepfunctions.parser.asl.component.common.error_name.custom_error_name import (
    CustomErrorName,
)
from moto.stepfunctions.parser.asl.component.common.error_name.error_name import ErrorName
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name import (
    StatesErrorName,
)
from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    iteration_worker,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_parallel import branches_decl
from moto.stepfunctions.parser.asl.component.state.exec.state_task.service import (
    state_task_service_batch,
)
from moto.stepfunctions.parser.asl.utils import boto_client as sfn_boto_client
from moto.stepfunctions.parser import models as sfn_parser_models
from moto.stepfunctions.parser.api import ExecutionFailedEventDetails, HistoryEventType
from moto.stepfunctions.parser.asl.component.common.error_name.failure_event import (
    FailureEvent,
    FailureEventException,
)
from moto.stepfunctions.parser.asl.component.common.error_name.states_error_name_type import (
    StatesErrorNameType,
)
from moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration import (
    distributed_iteration_component,
)
from moto.stepfunctions.parser.asl.eval.event.event_detail import EventDetails
from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped

LOG = logging.getLogger(__name__)

PINNED_MOTO_VERSION = "5.2.1"

StateTaskServiceBatch = state_task_service_batch.StateTaskServiceBatch


# --------------------------------------------------------------------------------------
# The registry of moto internals we depend on (read by the guard test)
# --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class PatchedInternal:
    """One moto internal an adapter replaces or relies on.

    ``params``: expected parameter names of a callable (``None``: not a callable).
    ``source_contains``: snippets that must appear in the source of ``source_of``
    (default: the target itself) - they pin the exact code the patch corrects.
    """

    module: str
    qualname: str
    adapter: str
    params: Optional[tuple] = None
    source_of: Optional[str] = None
    source_contains: tuple = ()


# SubmitJob's jobName as AWS documents it (adapter L).
DOCUMENTED_JOB_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,127}$")

_SFN_SVC = "moto.stepfunctions.parser.asl.component.state.exec.state_task.service"
PATCHED_INTERNALS: List[PatchedInternal] = [
    # A. Batch casing: the hooks are no-ops inherited from StateTaskService ...
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service", "StateTaskService._normalise_parameters", "A",
        params=("self", "parameters", "boto_service_name", "service_action_name"),
        source_contains=("pass",),
    ),
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service", "StateTaskService._normalise_response", "A",
        params=("self", "response", "boto_service_name", "service_action_name"),
        source_contains=("pass",),
    ),
    # ... which _eval_execution calls around _eval_service_task, ...
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service", "StateTaskService._eval_execution", "A",
        params=("self", "env"),
        source_contains=(
            "self._normalise_parameters(normalised_parameters)",
            "self._normalise_response(output_value)",
        ),
    ),
    # ... after StateTask._eval_parameters silently dropped unknown top-level fields, ...
    PatchedInternal(
        "moto.stepfunctions.parser.asl.component.state.exec.state_task.state_task",
        "StateTask._eval_parameters", "A", params=("self", "env"),
        source_contains=("parameters.pop(unsupported_parameter, None)",),
    ),
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service_batch", "_SUPPORTED_API_PARAM_BINDINGS", "A",
    ),
    # ... and we reuse moto's own (unused) boto -> SFN response re-casing.
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service", "StateTaskService._from_boto_response", "A",
        params=("self", "response", "structure_shape"),
    ),
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service_batch", "StateTaskServiceBatch._eval_service_task", "A",
        params=("self", "env", "resource_runtime_part", "normalised_parameters", "state_credentials"),
        source_contains=("getattr(batch_client, api_action)(**normalised_parameters)",),
    ),
    # C. the .sync resolver reads the *normalised* submit output ("JobId") and polls.
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service_batch", "StateTaskServiceBatch._build_sync_resolver", "C",
        params=("self", "env", "resource_runtime_part", "normalised_parameters", "state_credentials"),
        source_contains=('submission_output["JobId"]', "describe_jobs(jobs=[job_id])",
                         'service_action_name="describe_jobs"'),
    ),
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service_callback", "StateTaskServiceCallback._eval_sync", "C",
        params=("self", "env", "sync_resolver", "timeout_seconds", "callback_endpoint",
                "heartbeat_endpoint"),
        source_contains=("sync_result = sync_resolver()",
                         "time.sleep(_DELAY_SECONDS_SYNC_CONDITION_CHECK)"),
    ),
    # B. error names rebuilt as CustomErrorName (which rejects the "States." prefix).
    PatchedInternal(
        "moto.stepfunctions.parser.asl.component.state.exec.state_parallel.branches_decl",
        "CustomErrorName", "B",
        source_of="BranchesDecl._eval_body",
        source_contains=("CustomErrorName(error_name=exit_error_name)",),
    ),
    PatchedInternal(
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.iteration_worker",
        "CustomErrorName", "B",
        source_of="IterationWorker._eval_job",
        source_contains=("error_name = CustomErrorName(error_name=error_name)",),
    ),
    PatchedInternal(
        "moto.stepfunctions.parser.asl.component.common.error_name.states_error_name",
        "StatesErrorName.from_name", "B", params=("cls", "error_name"),
    ),
    # C. Batch jobs.
    PatchedInternal(
        "moto.batch.models", "Job.run", "C", params=("self",),
        source_contains=("docker", "self._add_parameters_to_command("),
    ),
    PatchedInternal(
        "moto.batch.models", "Job.__init__", "C",
        params=("self", "name", "job_def", "job_queue", "backend", "log_backend",
                "container_overrides", "eks_properties_override", "depends_on", "parameters",
                "all_jobs", "timeout", "array_properties", "provided_job_id", "tags"),
        source_contains=("self.parameters = {**self.job_definition.parameters, **(parameters or {})}",),
    ),
    PatchedInternal("moto.batch.models", "Job._mark_stopped", "C", params=("self", "success")),
    PatchedInternal("moto.batch.models", "JobDefinition._get_resource_requirement", "C",
                    params=("self", "req_type", "default")),
    PatchedInternal(
        "moto.batch.responses", "BatchResponse.submitjob", "C", params=("self",),
        source_contains=("self.batch_backend.submit_job(",),
    ),
    PatchedInternal(
        "moto.batch.responses", "BatchResponse.batch_backend", "C",
        source_contains=('"use_docker", True) is False',),
    ),
    PatchedInternal("moto.batch.models", "BatchBackend.get_job_by_id", "C",
                    params=("self", "identifier")),
    # L. job names: moto's pattern, which submit_job checks.
    PatchedInternal("moto.batch.models", "JOB_NAME_REGEX", "L", source_of="BatchBackend.submit_job",
                    source_contains=("if JOB_NAME_REGEX.match(job_name) is None:",)),
    # M. DescribeJobs over the live job table.
    PatchedInternal("moto.batch.models", "BatchBackend.describe_jobs", "M", params=("self", "jobs"),
                    source_contains=("for key, job in self._jobs.items():", "job.arn not in job_filter",
                                     "result.append(job.describe())")),
    # D. the interpreter's clients.
    PatchedInternal(
        "moto.stepfunctions.parser.asl.utils.boto_client", "boto3", "D",
        source_of="boto_client_for",
        source_contains=("return boto3.client(", 'kwargs["endpoint_url"]'),
    ),
    # F. starting executions.
    PatchedInternal(
        "moto.stepfunctions.parser.models", "copy", "F",
        source_of="StepFunctionsParserBackend.start_execution",
        source_contains=("state_machine_clone = copy.deepcopy(state_machine)",
                         "exec_name = name  # TODO: validate name format"),
    ),
    PatchedInternal(
        "moto.stepfunctions.parser.models", "StepFunctionsParserBackend.start_execution", "F",
        params=("self", "state_machine_arn", "name", "execution_input", "trace_header"),
    ),
    PatchedInternal("moto.stepfunctions.models", "StateMachine.__init__", "F",
                    source_contains=("self.backend = backend",)),
    PatchedInternal("moto.stepfunctions.models", "StateMachineInstance.__init__", "F",
                    source_contains=("self.executions",)),
    # G. Distributed Map tolerated failures.
    PatchedInternal(
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.distributed_iteration_component",
        "DistributedIterationComponent._map_run", "G", params=("self", "env", "eval_input"),
        source_contains=("job_pool.await_jobs()", "env.stack.append(outputs)"),
    ),
    PatchedInternal(
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor."
        "distributed_item_processor_worker",
        "DistributedItemProcessorWorker._eval_job", "G", params=("self", "env", "job"),
        source_contains=("self._map_run_record.item_counter.failed.count()",
                         "self._map_run_record.item_counter.timed_out.count()"),
    ),
    PatchedInternal(
        "moto.stepfunctions.parser.asl.component.state.exec.state_map.iteration.itemprocessor.map_run_record",
        "Counter.get", "G", params=("self",),
    ),
    # H. Retry of a .sync task: one callback endpoint per state entry, interrupted after attempt 1.
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service_callback", "StateTaskServiceCallback._eval_integration_pattern", "H",
        params=("self", "env", "resource_runtime_part", "normalised_parameters", "state_credentials"),
        source_contains=('callback_id = env.states.context_object.context_object_data["Task"]["Token"]',
                         "callback_endpoint.interrupt_all()"),
    ),
    PatchedInternal(
        f"{_SFN_SVC}.state_task_service_callback", "StateTaskServiceCallback._eval_body", "H",
        params=("self", "env"),
        source_contains=("task_token = env.states.context_object.update_task_token()",
                         "env.callback_pool_manager.add(task_token)"),
    ),
    PatchedInternal("moto.stepfunctions.parser.asl.eval.callback.callback", "CallbackPoolManager.add", "H",
                    params=("self", "callback_id")),
    PatchedInternal("moto.stepfunctions.parser.asl.eval.callback.callback", "CallbackEndpoint.wait", "H",
                    params=("self", "timeout"), source_contains=("self._notify_event.wait(timeout=timeout)",)),
    # J. StopExecution terminates the execution's .sync Batch jobs.
    PatchedInternal("moto.stepfunctions.models", "StepFunctionBackend.stop_execution", "J",
                    params=("self", "execution_arn")),
    PatchedInternal("moto.batch.models", "BatchBackend.terminate_job", "J", params=("self", "job_id", "reason"),
                    source_contains=("job.terminate(reason)",)),
    PatchedInternal("moto.batch.models", "Job.terminate", "J", params=("self", "reason"),
                    source_contains=("self.stop = True",)),
    PatchedInternal("moto.stepfunctions.parser.asl.eval.environment", "Environment.as_inner_frame_of", "J",
                    params=("cls", "env", "variable_store", "event_history_frame_cache"),
                    source_contains=('Execution=env.states.context_object.context_object_data["Execution"]',)),
    PatchedInternal("moto.stepfunctions.parser.backend.execution_worker",
                    "ExecutionWorker._get_evaluation_environment", "J", params=("self",),
                    source_contains=("Id=self._evaluation_details.execution_details.arn",)),
    # E. retry sleeps.
    PatchedInternal(
        "moto.stepfunctions.parser.asl.component.common.retry.retrier_decl", "time", "E",
        source_of="RetrierDecl._eval_body",
        source_contains=("time.sleep(interval_seconds)",),
    ),
]


class _Patches:
    """Applied patches, so that uninstall() restores exactly what was there."""

    def __init__(self) -> None:
        self._saved: List[tuple] = []

    def set(self, owner: Any, name: str, value: Any) -> None:
        had_own = name in vars(owner)
        self._saved.append((owner, name, had_own, vars(owner).get(name)))
        setattr(owner, name, value)

    def restore(self) -> None:
        for owner, name, had_own, original in reversed(self._saved):
            if had_own:
                setattr(owner, name, original)
            else:
                delattr(owner, name)
        self._saved.clear()


# --------------------------------------------------------------------------------------
# A. Batch request/response casing
# --------------------------------------------------------------------------------------
#
# What moto does: Step Functions' optimized integrations take the API's members in
# PascalCase (JobName, ContainerOverrides.Environment[].Name, ...). LocalStack's
# interpreter (which moto vendors) converts them to the boto member names in
# StateTaskService._normalise_parameters and converts the response back to PascalCase
# in _normalise_response. moto 5.2.1 stubbed both to ``pass``.
# Why that is wrong for us: AWS Batch's API is lowerCamel (jobName, containerOverrides,
# ...), so moto calls ``batch_client.submit_job(JobName=...)`` and botocore fails with
# KeyError 'JobName' (a States.Runtime error). Even if it got through, the .sync
# resolver reads ``submission_output["JobId"]`` (PascalCase), and the .sync output
# must be PascalCase (``$.Container``, ``$.Attempts``) as on AWS.
# Also, StateTask._eval_parameters silently drops top-level fields that are not in the
# integration's supported set (JobName, JobQueue, ...): a misspelt or lowerCamel
# "RetryStrategy" would just vanish, where AWS rejects the definition
# (SCHEMA_VALIDATION_FAILED "The field 'X' is not supported by Step Functions").
# What the patch does: Batch's _eval_parameters raises instead of dropping (the
# execution fails with States.Runtime and that message). Then, for the batch service
# only, walk botocore's input shape of the
# operation (batch.SubmitJob): structure members are matched case-insensitively and
# renamed to the API's spelling; lists recurse into their member shape; map shapes
# (``parameters``, ``tags``) keep their keys verbatim and only their values are
# walked. Unknown fields and wrong types are rejected with botocore's validator and
# surface as a ``Batch.ClientException`` task failure (what AWS Batch itself answers),
# so a compiler typo cannot pass silently. Responses are re-cased with moto's own
# (otherwise unused) ``_from_boto_response`` against the operation's output shape:
# the submitJob output becomes {JobArn, JobId, JobName} and the .sync output the
# PascalCase DescribeJobs job (map keys untouched).
# DynamoDB (getItem/putItem/updateItem) and the S3 ItemReader (getObject) need no
# conversion: their APIs are PascalCase already, and moto passes them through.


@functools.lru_cache(maxsize=None)
def _service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


@functools.lru_cache(maxsize=None)
def _operation_model(service: str, action: str):
    """``submitJob`` / ``submit_job`` / ``SubmitJob`` -> botocore OperationModel."""
    model = _service_model(service)
    by_snake = {xform_name(name): name for name in model.operation_names}
    name = by_snake.get(xform_name(action)) or by_snake.get(action)
    if name is None:
        raise KeyError(f"{service} has no operation {action!r}")
    return model.operation_model(name)


class ParameterShapeError(ValueError):
    """An integration's Parameters do not fit the API's input shape."""


def to_api_case(value: Any, shape: Optional[Shape], path: str = "") -> Any:
    """Rename structure members of ``value`` to the spelling of ``shape`` (recursively).

    Structure keys match case-insensitively (``JobName`` -> ``jobName``); map keys are
    data and never renamed (``Parameters``' and ``Tags``' keys stay as written).
    Raises :class:`ParameterShapeError` for a field the shape does not have.
    """
    if shape is None:
        return value
    if isinstance(shape, StructureShape):
        if not isinstance(value, dict):
            return value  # the validator reports the type error
        by_lower = {name.lower(): name for name in shape.members}
        out: Dict[str, Any] = {}
        for key, item in value.items():
            member = by_lower.get(str(key).lower())
            if member is None:
                raise ParameterShapeError(
                    f"Unknown parameter {path + '.' if path else ''}{key}; "
                    f"valid fields: {', '.join(sorted(shape.members))}"
                )
            out[member] = to_api_case(item, shape.members[member], f"{path}.{member}".lstrip("."))
        return out
    if isinstance(shape, ListShape):
        if not isinstance(value, list):
            return value
        return [to_api_case(item, shape.member, f"{path}[{i}]") for i, item in enumerate(value)]
    if isinstance(shape, MapShape):
        if not isinstance(value, dict):
            return value
        return {key: to_api_case(item, shape.value, f"{path}.{key}") for key, item in value.items()}
    return value


def _client_exception(operation: str, message: str) -> ClientError:
    return ClientError(
        {
            "Error": {"Code": "ClientException", "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": 400, "RequestId": str(uuid.uuid4())},
        },
        operation,
    )


class UnsupportedIntegrationField(ValueError):
    """A top-level Parameters field the optimized integration does not have."""


def _batch_eval_parameters(self, env) -> dict:
    """Replaces ``StateTask._eval_parameters`` for Batch (adapter A): fail, don't drop."""
    parameters: dict = {}
    if self.parargs is not None:
        self.parargs.eval(env=env)
        parameters = env.stack.pop()
    supported = self._get_supported_parameters() or set()
    unknown = sorted(k for k in parameters if k not in supported)
    if unknown:
        raise UnsupportedIntegrationField(
            f"The field {unknown[0]!r} is not supported by Step Functions for {self.resource.resource_arn} "
            f"(AWS rejects such a definition at CreateStateMachine: SCHEMA_VALIDATION_FAILED); "
            f"supported fields: {', '.join(sorted(supported))}"
        )
    return parameters


def _batch_normalise_parameters(
    self, parameters: dict, boto_service_name: Optional[str] = None,
    service_action_name: Optional[str] = None,
) -> None:
    """Replaces the no-op ``StateTaskService._normalise_parameters`` for Batch (adapter A)."""
    operation = _operation_model("batch", service_action_name or self.resource.api_action)
    try:
        converted = to_api_case(parameters, operation.input_shape)
    except ParameterShapeError as err:
        raise _client_exception(operation.name, str(err)) from None
    report = ParamValidator().validate(converted, operation.input_shape)
    if report.has_errors():
        raise _client_exception(operation.name, report.generate_report())
    parameters.clear()
    parameters.update(converted)


def _batch_normalise_response(
    self, response: Any, boto_service_name: Optional[str] = None,
    service_action_name: Optional[str] = None,
) -> None:
    """Replaces the no-op ``StateTaskService._normalise_response`` for Batch (adapter A)."""
    if not isinstance(response, dict):
        return
    operation = _operation_model("batch", service_action_name or self.resource.api_action)
    if operation.output_shape is not None:
        self._from_boto_response(response, operation.output_shape)


# --------------------------------------------------------------------------------------
# B. States.* error names inside Parallel branches and Map iterations
# --------------------------------------------------------------------------------------
#
# What moto does: when a branch of a Parallel (BranchesDecl._eval_body) or an
# iteration of a Map (IterationWorker._eval_job) ends in error, moto re-raises the
# error at the Parallel/Map state as ``CustomErrorName(error_name=<error>)``. But
# CustomErrorName's constructor raises ValueError for any name starting with
# "States." (custom names must not use the prefix). So a branch whose Batch task
# failed with States.TaskFailed (or States.Timeout, States.Runtime, ...) makes the
# Parallel/Map die with a ValueError, reported as States.Runtime, and a ``Catch``
# with ErrorEquals ["States.TaskFailed"] - or even ["States.ALL"] - on the
# Parallel/Map never runs: the whole execution fails.
# What the patch does: in those two modules only, the name ``CustomErrorName`` is
# bound to a factory that returns ``StatesErrorName`` for a known "States.*" name
# (so ErrorEquals matching is exactly as for a Task), a plain ErrorName for an
# unknown "States.*" name, and the real CustomErrorName otherwise.


class _RawErrorName(ErrorName):
    """An error name carried through verbatim (an unknown ``States.*`` name)."""


def preserving_error_name(error_name: Optional[str]) -> ErrorName:
    if error_name is not None and error_name.startswith("States."):
        try:
            return StatesErrorName.from_name(error_name)
        except Exception:  # not one of moto's StatesErrorNameType members
            return _RawErrorName(error_name)
    return CustomErrorName(error_name=error_name)


# --------------------------------------------------------------------------------------
# E. Retry sleeps
# --------------------------------------------------------------------------------------


class RetrySleeps:
    """Stands in for the ``time`` module inside ``retrier_decl`` (adapter E).

    ``RetrierDecl._eval_body`` only calls ``time.sleep(interval_seconds)``. Each call is
    recorded in :attr:`requested` (seconds, after BackoffRate/MaxDelaySeconds/jitter)
    and then sleeps ``interval * scale``. ``scale = 0`` (default) keeps retry-heavy
    tests fast while still letting them assert the intervals; 1.0 is real time.
    """

    def __init__(self, scale: float = 0.0) -> None:
        self.scale = scale
        self.requested: List[float] = []
        self._lock = threading.Lock()

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.requested.append(float(seconds))
        if self.scale > 0:
            time.sleep(seconds * self.scale)

    def clear(self) -> None:
        with self._lock:
            self.requested.clear()

    def __getattr__(self, name: str) -> Any:  # anything else: the real module
        return getattr(time, name)


# --------------------------------------------------------------------------------------
# F. Starting executions
# --------------------------------------------------------------------------------------
#
# What moto does: StepFunctionsParserBackend.start_execution snapshots the state
# machine with ``copy.deepcopy(state_machine)``. That walks ``state_machine.executions``
# (earlier Execution objects, each with a live worker thread and an RLock) and
# ``state_machine.backend`` (every other state machine and *its* executions), so once
# any execution exists in the region, every StartExecution fails with HTTP 500
# "cannot pickle '_thread.RLock' object" (getmoto/moto#10077; the upstream fix,
# moto#10093, seeds the deepcopy memo). It also uses the ``name`` argument as is, so an
# execution started without a name is called "None" (AWS generates a UUID), and the
# second unnamed one is ExecutionAlreadyExists.
# What the patch does: the ``copy`` name in moto.stepfunctions.parser.models becomes a
# shim whose deepcopy seeds the memo like the upstream fix: the snapshot gets empty
# ``executions`` lists and shares the backend instead of copying it. And
# start_execution is wrapped to default ``name`` to a UUID, as AWS does.


class _SnapshotCopy:
    """Stands in for ``copy`` inside moto.stepfunctions.parser.models (adapter F)."""

    @staticmethod
    def deepcopy(obj: Any, memo: Optional[Dict[int, Any]] = None) -> Any:
        memo = {} if memo is None else memo
        for holder in [obj, *list((getattr(obj, "versions", None) or {}).values())]:
            executions = getattr(holder, "executions", None)
            if isinstance(executions, list):
                memo[id(executions)] = []
        backend = getattr(obj, "backend", None)
        if backend is not None:
            memo[id(backend)] = backend
        return copy.deepcopy(obj, memo)

    def __getattr__(self, name: str) -> Any:
        return getattr(copy, name)


def _wrap_start_execution(original: Callable) -> Callable:
    @functools.wraps(original)
    def start_execution(self, state_machine_arn, name=None, execution_input=None, trace_header=None):
        """Wraps ``StepFunctionsParserBackend.start_execution`` (adapter F)."""
        return original(self, state_machine_arn, name or str(uuid.uuid4()), execution_input, trace_header)

    start_execution.__sfncompile_original__ = original  # type: ignore[attr-defined]
    return start_execution


# --------------------------------------------------------------------------------------
# H. Retry of a .sync Batch Task
# --------------------------------------------------------------------------------------
#
# What moto does: StateTaskServiceCallback._eval_body creates one task token (and one
# CallbackEndpoint) per *state entry*. For every .sync attempt,
# _eval_integration_pattern also listens on that endpoint for a waitForTaskToken
# callback, and in its ``finally`` calls ``callback_endpoint.interrupt_all()``, which
# sets the endpoint's event for good. A Retry re-runs _eval_execution with the same,
# already-interrupted endpoint: the listener returns at once with no outcome, which is
# CallbackOutcomeTimedOut, and the attempt fails with States.Timeout as soon as the
# job is not finished at the first poll (or even when it is: the callback outcome wins).
# Why that is wrong for us: @retry compiles to ASL Retry on the Batch Task; the second
# attempt must run the job and succeed or fail on the job's own status.
# What the patch does: Batch's _eval_execution gives every attempt a fresh task token
# and endpoint (as AWS does for waitForTaskToken retries) before calling the original.


def _wrap_eval_execution(original: Callable) -> Callable:
    @functools.wraps(original)
    def _eval_execution(self, env) -> None:
        """Wraps ``StateTaskService._eval_execution`` for Batch (adapter H)."""
        if self._is_integration_pattern():
            token = env.states.context_object.update_task_token()
            env.callback_pool_manager.add(token)
        original(self, env)

    _eval_execution.__sfncompile_original__ = original  # type: ignore[attr-defined]
    return _eval_execution


# --------------------------------------------------------------------------------------
# G. Distributed Map tolerated failures
# --------------------------------------------------------------------------------------
#
# What moto does: in a DISTRIBUTED Map, DistributedItemProcessorWorker._eval_job
# swallows a failed child execution (it bumps item_counter.failed / timed_out and
# records a null result), and DistributedIterationComponent._map_run never compares
# those counts with ToleratedFailureCount/Percentage: the Map Run always SUCCEEDS.
# Why that is wrong for us: on AWS both thresholds default to 0, so one failed item
# fails the Map state with States.ExceedToleratedFailureThreshold; a foreach whose item
# failed must not run its join.
# What the patch does: after the original _map_run has run every item, if the failed +
# timed-out items exceed the thresholds it drops the results and raises
# States.ExceedToleratedFailureThreshold (which moto's _eval_body turns into a
# MapRunFailed event and hands to the Map state's Retry/Catch). moto cannot tell an
# explicit 0 from an unset threshold, so: both 0 -> any failure fails; otherwise only
# the non-zero thresholds apply (count: failures > count; percentage: > percent).

EXCEEDED_TOLERATED_FAILURE_CAUSE = "The specified tolerated failure threshold was exceeded"


def _wrap_map_run(original: Callable) -> Callable:
    @functools.wraps(original)
    def _map_run(self, env, eval_input):
        """Wraps ``DistributedIterationComponent._map_run`` (adapter G)."""
        original(self, env, eval_input)
        counter = eval_input.map_run_record.item_counter
        failures = counter.failed.get() + counter.timed_out.get()
        total = max(1, counter.total.get())
        count = eval_input.tolerated_failure_count or 0
        percentage = eval_input.tolerated_failure_percentage or 0.0
        if count == 0 and percentage == 0:
            exceeded = failures > 0
        else:
            exceeded = (count > 0 and failures > count) or (
                percentage > 0 and failures * 100.0 / total > percentage
            )
        if exceeded:
            env.stack.pop()  # the (partial) results original() pushed
            error = StatesErrorNameType.StatesExceedToleratedFailureThreshold.to_name()
            raise FailureEventException(
                failure_event=FailureEvent(
                    env=env,
                    error_name=StatesErrorName(typ=StatesErrorNameType.StatesExceedToleratedFailureThreshold),
                    event_type=HistoryEventType.ExecutionFailed,
                    event_details=EventDetails(
                        executionFailedEventDetails=ExecutionFailedEventDetails(
                            error=error, cause=EXCEEDED_TOLERATED_FAILURE_CAUSE,
                        )
                    ),
                )
            )

    _map_run.__sfncompile_original__ = original  # type: ignore[attr-defined]
    return _map_run


# --------------------------------------------------------------------------------------
# J. StopExecution terminates the execution's running .sync Batch jobs
# --------------------------------------------------------------------------------------
#
# What moto does: StopExecution only flags the interpreter (ProgramStopped); a Task state
# waiting on ``batch:submitJob.sync`` stops waiting, but the Batch job - here a local
# subprocess - runs on to its end, long after the test that started it.
# Why that is wrong for us: on AWS, stopping an execution makes Step Functions terminate
# the Batch job of a running ``.sync`` Task (the state machine role needs
# batch:TerminateJob for this); the job fails with a status reason like "The Task state
# in AWS Step Functions execution [<arn>] which was managing this resource was aborted".
# ``sfncompile terminate`` relies on that: nothing of a terminated run should keep running.
# What the patch does: the adapter C ``.sync`` resolver records which execution
# (``$$.Execution.Id``, shared by Parallel/Map frames) submitted which job;
# ``StepFunctionsParserBackend.stop_execution`` is wrapped to call moto Batch's own
# ``terminate_job`` (which sets ``Job.stop``; the runner then kills the subprocess group)
# for every unfinished job of that execution. A job submitted in the instant the
# execution is stopped (before the resolver ran) is terminated when the resolver sees
# the execution already stopped. Not emulated: a Task state that times out
# (TimeoutSeconds) does not terminate its job (as moto, and as we understand AWS).

STOPPED_EXECUTION_JOB_REASON = (
    "The Task state in AWS Step Functions execution [{arn}] which was managing this resource was aborted"
)


def terminate_execution_jobs(account_id: str, region: str, execution_arn: str) -> List[str]:
    """TerminateJob every unfinished Batch job ``execution_arn`` submitted; returns their ids."""
    runner = _RUNNER
    if runner is None:
        return []
    backend = batch_models.batch_backends[account_id][region]
    reason = STOPPED_EXECUTION_JOB_REASON.format(arn=execution_arn)
    stopped = []
    for job_id in runner.unfinished_jobs_of(execution_arn):
        try:
            backend.terminate_job(job_id, reason)
            stopped.append(job_id)
        except Exception:  # the job is gone (reset): nothing to stop
            LOG.debug("could not terminate Batch job %s", job_id, exc_info=True)
    return stopped


def _wrap_stop_execution(original: Callable) -> Callable:
    @functools.wraps(original)
    def stop_execution(self, execution_arn: str) -> Any:
        """Wraps ``StepFunctionBackend.stop_execution`` on the parser backend (adapter J)."""
        execution = original(self, execution_arn)
        terminate_execution_jobs(self.account_id, self.region_name, execution_arn)
        return execution

    stop_execution.__sfncompile_original__ = original  # type: ignore[attr-defined]
    return stop_execution


def _bind_job_to_execution(env: Any, job_id: str) -> None:
    """Called by the adapter C resolver right after SubmitJob (adapter J)."""
    runner = _RUNNER
    if runner is None:
        return
    try:
        execution_arn = env.states.context_object.context_object_data["Execution"]["Id"]
    except (AttributeError, KeyError, TypeError):
        return
    runner.bind_execution(job_id, execution_arn)
    if isinstance(env.program_state(), ProgramStopped):
        details = env.aws_execution_details
        terminate_execution_jobs(details.account, details.region, execution_arn)


# --------------------------------------------------------------------------------------
# D. The interpreter's own boto3 clients
# --------------------------------------------------------------------------------------


class _InterpreterBoto3:
    """Stands in for ``boto3`` inside ``moto...asl.utils.boto_client`` (adapter D).

    ``boto_client_for`` calls ``boto3.client(..., endpoint_url="http://localhost:<MOTO_PORT>")``
    for every Task (unless moto's in-process stubber is active, in which case no
    endpoint_url is passed and we leave it that way). We point it at our server
    instead of MOTO_PORT (so os.environ needs no MOTO_PORT) and hand out one cached
    client per (service, region): building clients from boto3's default session is not
    thread-safe, and Parallel branches / Map iterations do it concurrently.
    """

    def __init__(self, endpoint_url: str) -> None:
        self.endpoint_url = endpoint_url
        self._session = boto3.session.Session()
        self._clients: Dict[tuple, Any] = {}
        self._lock = threading.Lock()

    def client(self, service_name: str, region_name: str, **kwargs: Any) -> Any:
        if "endpoint_url" in kwargs:
            kwargs["endpoint_url"] = self.endpoint_url
        key = (service_name, region_name, kwargs.get("endpoint_url"))
        with self._lock:
            cached = self._clients.get(key)
            if cached is None:
                cached = self._session.client(service_name=service_name, region_name=region_name, **kwargs)
                self._clients[key] = cached
            return cached

    def __getattr__(self, name: str) -> Any:
        return getattr(boto3, name)


# --------------------------------------------------------------------------------------
# C. Batch jobs as local subprocesses
# --------------------------------------------------------------------------------------
#
# What moto does: BatchBackend.submit_job creates a Job (a Thread) and starts it.
# Job.run imports docker, walks the status SUBMITTED -> PENDING -> RUNNABLE -> STARTING
# -> RUNNING with sleep(0.5) polls, runs the job definition's image in a container
# and polls it every 0.5 s; the retryStrategy of SubmitJob is not even read
# (BatchResponse.submitjob drops it) and the job definition's is never applied.
# Without a Docker engine every job FAILs. (use_docker=False - "batch_simple" - runs
# nothing at all and marks every job SUCCEEDED.)
# Why that is wrong for us: there is no Docker engine here, and the tests need the
# step's real command to run against the emulator, fast, with Batch's retry and
# timeout semantics.
# What the patch does:
#  * BatchResponse.submitjob is wrapped: after moto created the job, we register a
#    BatchJobRecord (submission order, the request as sent, the resolved command,
#    the effective retry strategy / timeout) with the BatchJobRunner.
#  * Job.run is replaced by BatchJobRunner.execute: waits for that registration, then
#    runs each attempt as a local subprocess (or succeeds at once in "instant" mode),
#    applies attemptDurationSeconds (kill -> "Job attempt duration exceeded timeout",
#    not retried, as on AWS) and retryStrategy (attempts + evaluateOnExit; AWS
#    semantics: the first entry whose conditions all match decides RETRY/EXIT, and a
#    failure that matches no entry is retried), records exit code/stdout/stderr per
#    attempt, writes the output to CloudWatch Logs, and sets the moto Job's status,
#    attempts[] (container.exitCode, statusReason) and statusReason
#    ("Essential container in task exited" for a non-zero exit) for DescribeJobs.
#  * StateTaskServiceBatch._build_sync_resolver is wrapped so that the .sync poll waits
#    on the job's completion event (up to 5 s per poll, checking that the execution
#    is still running every 0.1 s) instead of describing + sleeping 0.5 s: a job that
#    ends is noticed at once, with no busy loop. It also records which execution
#    submitted the job, for adapter J.

ESSENTIAL_CONTAINER_EXITED = "Essential container in task exited"
ATTEMPT_TIMEOUT_REASON = "Job attempt duration exceeded timeout"
DEFAULT_PLATFORM_FAILURE = "Host EC2 (instance i-0123456789abcdef0) terminated."
TIMEOUT_EXIT_CODE = 137


@dataclasses.dataclass
class BatchAttempt:
    """One attempt of a Batch job (``AWS_BATCH_JOB_ATTEMPT`` is ``number``, 1-based)."""

    number: int
    exit_code: Optional[int] = None
    stdout: str = ""
    stderr: str = ""
    status_reason: Optional[str] = None
    reason: Optional[str] = None
    argv: Optional[List[str]] = None
    started_at: float = 0.0
    stopped_at: float = 0.0

    @property
    def succeeded(self) -> bool:
        return self.exit_code == 0 and self.status_reason is None


@dataclasses.dataclass
class BatchJobRecord:
    """What one SubmitJob asked for and what happened to it (``MotoServer.batch_jobs()``)."""

    job_id: str
    job_name: str
    job_queue: str                      # as submitted (name or ARN)
    job_definition: str                 # as submitted (name, name:rev or ARN)
    job_queue_arn: str
    job_definition_arn: str
    parameters: Dict[str, str]          # job definition defaults merged with SubmitJob's
    submitted_parameters: Dict[str, str]
    command: List[str]                  # the container command with Ref:: substituted
    environment_overrides: Dict[str, str]  # containerOverrides.environment (incl. MANAGED_BY_AWS)
    environment: Dict[str, str]         # job definition environment + overrides
    resource_requirements: List[Dict[str, str]]  # containerOverrides.resourceRequirements
    effective_resources: Dict[str, str]  # {"VCPU": .., "MEMORY": .., "GPU": ..} after overrides
    retry_strategy: Optional[Dict[str, Any]]     # SubmitJob's, else the job definition's
    timeout_seconds: Optional[int]               # attemptDurationSeconds in effect
    tags: Dict[str, str]
    container_overrides: Dict[str, Any]
    submitted_at: float
    attempts: List[BatchAttempt] = dataclasses.field(default_factory=list)
    status: str = JobStatus.SUBMITTED.value
    status_reason: Optional[str] = None
    done: threading.Event = dataclasses.field(default_factory=threading.Event, repr=False, compare=False)

    @property
    def exit_code(self) -> Optional[int]:
        return self.attempts[-1].exit_code if self.attempts else None

    @property
    def stdout(self) -> str:
        return self.attempts[-1].stdout if self.attempts else ""

    @property
    def stderr(self) -> str:
        return self.attempts[-1].stderr if self.attempts else ""

    @property
    def argv(self) -> Optional[List[str]]:
        return self.attempts[-1].argv if self.attempts else None

    def wait(self, timeout: float = 60.0) -> "BatchJobRecord":
        if not self.done.wait(timeout):
            raise TimeoutError(f"Batch job {self.job_name} ({self.job_id}) still {self.status} after {timeout}s")
        return self


def substitute_refs(command: List[str], parameters: Dict[str, str]) -> List[str]:
    """Batch's parameter substitution: an element ``Ref::name`` becomes the value of
    ``name`` (submit parameters over job-definition defaults); a placeholder with no
    value stays literally ``Ref::name``, as on AWS. (moto's own version substitutes
    substrings, so ``Ref::task`` would also rewrite ``Ref::tasks``.)"""
    out = []
    for part in command:
        if isinstance(part, str) and part.startswith("Ref::") and part[5:] in parameters:
            out.append(str(parameters[part[5:]]))
        else:
            out.append(part)
    return out


def _glob(pattern: str, value: Optional[str]) -> bool:
    """evaluateOnExit patterns: exact, or a prefix when ending in ``*``; case-sensitive."""
    if value is None:
        return False
    if pattern.endswith("*"):
        return value.startswith(pattern[:-1])
    return value == pattern


def retry_decision(retry_strategy: Optional[Dict[str, Any]], attempt: BatchAttempt) -> str:
    """``"RETRY"`` or ``"EXIT"`` for a failed attempt, ignoring the attempts budget.

    AWS: each evaluateOnExit entry's given conditions (onStatusReason, onReason,
    onExitCode) must all match; the first matching entry's action wins; if none
    matches - or there is no evaluateOnExit - the job is retried.
    """
    entries = (retry_strategy or {}).get("evaluateOnExit") or []
    exit_code = None if attempt.exit_code is None else str(attempt.exit_code)
    for entry in entries:
        checks = [
            (entry.get("onStatusReason"), attempt.status_reason),
            (entry.get("onReason"), attempt.reason),
            (entry.get("onExitCode"), exit_code),
        ]
        if all(_glob(pattern, value) for pattern, value in checks if pattern is not None):
            return str(entry.get("action", "EXIT")).upper()
    return "RETRY"


def default_executable_map() -> Dict[str, List[str]]:
    """Command heads that mean "this interpreter" inside the runtime image."""
    py = [sys.executable]
    return {
        "sfncompile": [sys.executable, "-m", "sfncompile"],
        "python": py,
        "python3": py,
        os.path.basename(sys.executable): py,
    }


class BatchJobRunner:
    """Runs, or pretends to run, the jobs moto's Batch accepts (adapter C).

    ``mode``: ``"subprocess"`` runs each attempt's command locally;
    ``"instant"`` runs nothing and succeeds at once (compiler-shape tests).
    ``on_job``: optional ``fn(record, attempt_number) -> int | None``, asked before each
    attempt in either mode; an int is used as that attempt's exit code without running
    anything, None falls through to the mode.
    ``base_env``: the harness env (AWS_ENDPOINT_URL, fake credentials, region), laid
    over this process's environment minus its AWS_* and SFNCOMPILE_* variables; the
    job definition's and the override's environment come on top, then AWS_BATCH_*.
    """

    MODES = ("subprocess", "instant")

    def __init__(self, base_env: Dict[str, str], workdir: Optional[str] = None) -> None:
        self.base_env = dict(base_env)
        self.workdir = workdir or tempfile.mkdtemp(prefix="sfncompile-batch-")
        self.mode = "subprocess"
        self.on_job: Optional[Callable[[BatchJobRecord, int], Optional[int]]] = None
        self.executables: Dict[str, List[str]] = default_executable_map()
        self.sync_poll_max_wait = 5.0
        self._records: List[BatchJobRecord] = []
        self._by_id: Dict[str, BatchJobRecord] = {}
        self._registered: Dict[str, threading.Event] = {}
        self._platform_failures: List[List[Any]] = []  # [job_name_glob, remaining, status_reason, reason]
        self._procs: Dict[int, subprocess.Popen] = {}
        self._execution_jobs: Dict[str, List[str]] = {}  # execution ARN -> its .sync job ids (adapter J)
        self._lock = threading.RLock()
        self._logs_lock = threading.Lock()
        self._generation = 0

    # -- test-facing API ---------------------------------------------------------------

    def set_mode(self, mode: str) -> None:
        if mode not in self.MODES:
            raise ValueError(f"batch mode must be one of {self.MODES}, got {mode!r}")
        self.mode = mode

    def jobs(self) -> List[BatchJobRecord]:
        """Every job submitted since the last clear(), in submission order."""
        with self._lock:
            return list(self._records)

    def job(self, job_id: str) -> Optional[BatchJobRecord]:
        with self._lock:
            return self._by_id.get(job_id)

    def inject_platform_failure(
        self, job_name: str = "*", times: int = 1, status_reason: str = DEFAULT_PLATFORM_FAILURE,
        reason: Optional[str] = None,
    ) -> None:
        """Make the next ``times`` attempts of jobs whose name matches ``job_name`` (glob
        with a trailing ``*``) fail as if the host died: nothing runs, no exit code,
        ``statusReason`` = ``status_reason``; ``reason`` is the container's reason (ECS's
        ``CannotPullContainerError: ...`` when the image cannot be pulled). The retry
        strategy then decides."""
        with self._lock:
            self._platform_failures.append([job_name, times, status_reason, reason])

    def wait_idle(self, timeout: float = 60.0) -> None:
        deadline = time.monotonic() + timeout
        for record in self.jobs():
            record.wait(max(0.0, deadline - time.monotonic()))

    def clear(self) -> None:
        """Kill running job processes and forget every record (per-test reset)."""
        with self._lock:
            self._generation += 1
            procs = list(self._procs.values())
            self._records.clear()
            self._by_id.clear()
            self._registered.clear()
            self._platform_failures.clear()
            self._execution_jobs.clear()
            self.on_job = None
            self.mode = "subprocess"
        for proc in procs:
            _kill_group(proc)

    # -- called from the patched moto code ---------------------------------------------

    def _registration(self, job_id: str) -> threading.Event:
        with self._lock:
            return self._registered.setdefault(job_id, threading.Event())

    def register(self, record: BatchJobRecord) -> None:
        with self._lock:
            self._records.append(record)
            self._by_id[record.job_id] = record
        self._registration(record.job_id).set()

    def bind_execution(self, job_id: str, execution_arn: str) -> None:
        """Remember that ``execution_arn`` waits on job ``job_id`` (adapter J)."""
        with self._lock:
            jobs = self._execution_jobs.setdefault(execution_arn, [])
            if job_id not in jobs:
                jobs.append(job_id)

    def unfinished_jobs_of(self, execution_arn: str) -> List[str]:
        """Ids of the jobs ``execution_arn`` submitted that have not ended (adapter J)."""
        with self._lock:
            ids = list(self._execution_jobs.get(execution_arn, ()))
            return [i for i in ids if i not in self._by_id or not self._by_id[i].done.is_set()]

    def wait_for_job(self, job_id: str, timeout: float) -> bool:
        record = self.job(job_id)
        if record is None:
            time.sleep(min(timeout, 0.05))
            return False
        return record.done.wait(timeout)

    def _take_platform_failure(self, job_name: str) -> Optional[Tuple[str, Optional[str]]]:
        with self._lock:
            for entry in self._platform_failures:
                pattern, remaining, status_reason, reason = entry
                if remaining > 0 and _glob(pattern, job_name):
                    entry[1] -= 1
                    return status_reason, reason
        return None

    def execute(self, job: "batch_models.Job") -> None:
        """The body of every moto Batch job thread (replaces ``Job.run``)."""
        generation = self._generation
        if not self._registration(job.job_id).wait(30):
            LOG.error("Batch job %s was never registered by the harness", job.job_id)
            _finish_moto_job(job, success=False, reason="harness: job not registered")
            return
        record = self.job(job.job_id)
        if record is None:  # cleared in between
            _finish_moto_job(job, success=False, reason="harness reset")
            return
        try:
            self._execute(job, record, generation)
        except Exception as err:  # never leave a job (and a .sync Task) hanging
            LOG.exception("Batch job %s crashed in the harness", job.job_id)
            record.status, record.status_reason = JobStatus.FAILED.value, f"harness error: {err}"
            _finish_moto_job(job, success=False, reason=record.status_reason)
        finally:
            record.done.set()

    def _execute(self, job: "batch_models.Job", record: BatchJobRecord, generation: int) -> None:
        if job.depends_on and not job._wait_for_dependencies():
            record.status, record.status_reason = JobStatus.FAILED.value, "dependency failed"
            return
        max_attempts = int((record.retry_strategy or {}).get("attempts") or 1)
        job.job_started_at = datetime.now()
        for number in range(1, max(1, max_attempts) + 1):
            if job.stop or generation != self._generation:
                reason = job.job_stopped_reason or "harness reset"
                record.status, record.status_reason = JobStatus.FAILED.value, reason
                _finish_moto_job(job, success=False, reason=reason)
                return
            job.status = JobStatus.RUNNING.value
            record.status = JobStatus.RUNNING.value
            attempt = self._run_attempt(job, record, number)
            record.attempts.append(attempt)
            _append_moto_attempt(job, attempt)
            if attempt.succeeded:
                record.status, record.status_reason = JobStatus.SUCCEEDED.value, None
                _finish_moto_job(job, success=True, reason=None, exit_code=attempt.exit_code)
                return
            retryable = (
                attempt.status_reason != ATTEMPT_TIMEOUT_REASON
                and not job.stop
                and number < max_attempts
                and retry_decision(record.retry_strategy, attempt) == "RETRY"
            )
            if not retryable:
                record.status, record.status_reason = JobStatus.FAILED.value, attempt.status_reason
                _finish_moto_job(job, success=False, reason=attempt.status_reason, exit_code=attempt.exit_code)
                return
            job.status = JobStatus.RUNNABLE.value
            record.status = JobStatus.RUNNABLE.value

    def _run_attempt(self, job: "batch_models.Job", record: BatchJobRecord, number: int) -> BatchAttempt:
        attempt = BatchAttempt(number=number, started_at=time.time())
        platform_failure = self._take_platform_failure(record.job_name)
        scripted = None if platform_failure else (self.on_job(record, number) if self.on_job else None)
        if platform_failure:
            attempt.status_reason, attempt.reason = platform_failure
        elif scripted is not None:
            attempt.exit_code = int(scripted)
        elif self.mode == "instant":
            attempt.exit_code = 0
        else:
            self._run_subprocess(job, record, attempt)
        if attempt.exit_code not in (None, 0) and attempt.status_reason is None:
            attempt.status_reason = ESSENTIAL_CONTAINER_EXITED
        attempt.stopped_at = time.time()
        return attempt

    def build_env(self, record: BatchJobRecord, attempt_number: int) -> Dict[str, str]:
        env = {
            k: v for k, v in os.environ.items()
            if not k.startswith(("AWS_", "SFNCOMPILE_", "MOTO_"))
        }
        env.update(self.base_env)
        env.update(record.environment)
        job_queue_name = record.job_queue_arn.rsplit("/", 1)[-1]
        env.update({
            "AWS_BATCH_JOB_ID": record.job_id,
            "AWS_BATCH_JOB_ATTEMPT": str(attempt_number),
            "AWS_BATCH_JQ_NAME": job_queue_name,
            "AWS_BATCH_CE_NAME": "sfncompile-test-harness",
        })
        return env

    def resolve_argv(self, command: List[str]) -> List[str]:
        if not command:
            raise ValueError("the job has no command")
        head = self.executables.get(command[0])
        return list(head) + list(command[1:]) if head else list(command)

    def _run_subprocess(self, job: "batch_models.Job", record: BatchJobRecord, attempt: BatchAttempt) -> None:
        argv = self.resolve_argv(record.command)
        attempt.argv = argv
        cwd = tempfile.mkdtemp(prefix=f"{record.job_name[:40]}-{attempt.number}-", dir=self.workdir)
        deadline = (
            time.monotonic() + record.timeout_seconds if record.timeout_seconds else None
        )
        try:
            proc = subprocess.Popen(
                argv, cwd=cwd, env=self.build_env(record, attempt.number),
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True, errors="replace", start_new_session=True,
            )
        except OSError as err:
            # e.g. the executable does not exist: ECS reports CannotStartContainerError.
            attempt.reason = f"CannotStartContainerError: {err}"
            attempt.status_reason = "Task failed to start"
            return
        with self._lock:
            self._procs[proc.pid] = proc
        out_parts: List[str] = []
        err_parts: List[str] = []
        killed_reason = None
        try:
            while True:
                try:
                    out, err = proc.communicate(timeout=0.05)
                    out_parts.append(out or "")
                    err_parts.append(err or "")
                    break
                except subprocess.TimeoutExpired:
                    if deadline is not None and time.monotonic() > deadline:
                        killed_reason = ATTEMPT_TIMEOUT_REASON
                    elif job.stop:
                        killed_reason = job.job_stopped_reason or "Terminated"
                    if killed_reason:
                        _kill_group(proc)
                        out, err = proc.communicate()
                        out_parts.append(out or "")
                        err_parts.append(err or "")
                        break
        finally:
            with self._lock:
                self._procs.pop(proc.pid, None)
        attempt.stdout = "".join(out_parts)
        attempt.stderr = "".join(err_parts)
        code = proc.returncode
        attempt.exit_code = 128 - code if code is not None and code < 0 else code
        if killed_reason:
            attempt.exit_code = TIMEOUT_EXIT_CODE if killed_reason == ATTEMPT_TIMEOUT_REASON else attempt.exit_code
            attempt.status_reason = killed_reason
        self._ship_logs(job, record, attempt)

    def _ship_logs(self, job: "batch_models.Job", record: BatchJobRecord, attempt: BatchAttempt) -> None:
        """Put the attempt's stdout+stderr in CloudWatch Logs like the awslogs driver."""
        container = job.job_definition.container_properties or {}
        options = (container.get("logConfiguration") or {}).get("options") or {}
        group = options.get("awslogs-group") or "/aws/batch/job"
        prefix = options.get("awslogs-stream-prefix") or job.job_definition.name
        stream = f"{prefix}/default/{uuid.uuid4().hex}"
        now = int(time.time() * 1000)
        lines = (attempt.stdout.splitlines() + attempt.stderr.splitlines()) or []
        events = [{"timestamp": now, "message": line} for line in lines if line]
        try:
            with self._logs_lock:
                backend = job._log_backend
                backend.ensure_log_group(group)
                backend.ensure_log_stream(group, stream)
                if events:
                    backend.put_log_events(group, stream, events)
            job.log_stream_name = stream
        except Exception:  # logs are a convenience; never fail the job for them
            LOG.warning("could not write logs of Batch job %s", record.job_id, exc_info=True)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _append_moto_attempt(job: "batch_models.Job", attempt: BatchAttempt) -> None:
    container: Dict[str, Any] = {
        "containerInstanceArn": "arn:aws:ecs:harness:container-instance/local",
        "taskArn": f"arn:aws:ecs:harness:task/{uuid.uuid4().hex}",
        "logStreamName": job.log_stream_name,
        "networkInterfaces": [],
    }
    if attempt.exit_code is not None:
        container["exitCode"] = attempt.exit_code
    if attempt.reason:
        container["reason"] = attempt.reason
    entry: Dict[str, Any] = {
        "container": container,
        "startedAt": int(attempt.started_at * 1000),
        "stoppedAt": int(attempt.stopped_at * 1000),
    }
    if attempt.status_reason:
        entry["statusReason"] = attempt.status_reason
    job.attempts.append(entry)
    job.latest_attempt = None  # _mark_stopped must not rewrite our attempt entries


def _finish_moto_job(job: "batch_models.Job", success: bool, reason: Optional[str],
                     exit_code: Optional[int] = None) -> None:
    job.exit_code = exit_code
    if reason:
        job.job_stopped_reason = reason
    job._mark_stopped(success=success)


_RUNNER: Optional[BatchJobRunner] = None


def _job_run(self: "batch_models.Job") -> None:
    """Replaces ``moto.batch.models.Job.run`` (adapter C)."""
    runner = _RUNNER
    if runner is None:  # adapters uninstalled while a job thread started
        self._mark_stopped(success=False)
        return
    runner.execute(self)


def _effective_resources(job: "batch_models.Job", overrides: List[Dict[str, str]]) -> Dict[str, str]:
    container = job.job_definition.container_properties or {}
    resources = {r["type"]: str(r["value"]) for r in container.get("resourceRequirements") or []}
    for key, legacy in (("VCPU", "vcpus"), ("MEMORY", "memory")):
        if key not in resources and container.get(legacy) is not None:
            resources[key] = str(container[legacy])
    for r in overrides or []:
        resources[r["type"]] = str(r["value"])
    return resources


def _record_for(backend: Any, job: "batch_models.Job", request: Dict[str, Any]) -> BatchJobRecord:
    jd = job.job_definition
    container = jd.container_properties or {}
    overrides = request.get("containerOverrides") or {}
    env_overrides = {e["name"]: e["value"] for e in overrides.get("environment") or []}
    environment = {e["name"]: e["value"] for e in container.get("environment") or []}
    environment.update(env_overrides)
    command = overrides.get("command") or container.get("command") or []
    timeout = request.get("timeout") or jd.timeout or {}
    retry = request.get("retryStrategy") or jd.retry_strategy or None
    return BatchJobRecord(
        job_id=job.job_id,
        job_name=job.job_name,
        job_queue=request.get("jobQueue"),
        job_definition=request.get("jobDefinition"),
        job_queue_arn=job.job_queue.arn,
        job_definition_arn=jd.arn,
        parameters=dict(job.parameters),
        submitted_parameters=dict(request.get("parameters") or {}),
        command=substitute_refs(list(command), job.parameters),
        environment_overrides=env_overrides,
        environment=environment,
        resource_requirements=list(overrides.get("resourceRequirements") or []),
        effective_resources=_effective_resources(job, overrides.get("resourceRequirements") or []),
        retry_strategy=copy.deepcopy(retry),
        timeout_seconds=timeout.get("attemptDurationSeconds"),
        tags=dict(request.get("tags") or {}),
        container_overrides=overrides,
        submitted_at=time.time(),
    )


def _wrap_submitjob(original: Callable) -> Callable:
    @functools.wraps(original)
    def submitjob(self) -> str:
        """Wraps ``moto.batch.responses.BatchResponse.submitjob`` (adapter C)."""
        request = {
            name: copy.deepcopy(self._get_param(name))
            for name in ("jobName", "jobQueue", "jobDefinition", "parameters", "containerOverrides",
                         "retryStrategy", "timeout", "tags", "arrayProperties", "dependsOn")
        }
        body = original(self)
        runner = _RUNNER
        if runner is not None:
            job_id = json.loads(body)["jobId"]
            backend = self.batch_backend
            job = backend.get_job_by_id(job_id)
            jobs = [job] + list(job._child_jobs or [])
            for one in jobs:
                if one is job and job._child_jobs:
                    continue  # an array parent runs nothing itself
                runner.register(_record_for(backend, one, request))
        return body

    submitjob.__sfncompile_original__ = original  # type: ignore[attr-defined]
    return submitjob


def _wrap_build_sync_resolver(original: Callable) -> Callable:
    @functools.wraps(original)
    def _build_sync_resolver(self, env, resource_runtime_part, normalised_parameters, state_credentials):
        """Wraps ``StateTaskServiceBatch._build_sync_resolver`` (adapter C)."""
        submission = env.stack[-1] if env.stack else {}
        job_id = submission.get("JobId") if isinstance(submission, dict) else None
        resolver = original(self, env, resource_runtime_part, normalised_parameters, state_credentials)
        if job_id:
            _bind_job_to_execution(env, job_id)  # adapter J

        def waiting_resolver():
            runner = _RUNNER
            if runner is not None and job_id:
                deadline = time.monotonic() + runner.sync_poll_max_wait
                while env.is_running() and time.monotonic() < deadline:
                    if runner.wait_for_job(job_id, 0.1):
                        break
            if not env.is_running():
                # Stopped (adapter J then kills the job): report nothing, as moto does for a
                # job still running, so the kill does not turn into a task failure that
                # would make the stopped execution FAILED instead of ABORTED.
                return None
            return resolver()

        return waiting_resolver

    _build_sync_resolver.__sfncompile_original__ = original  # type: ignore[attr-defined]
    return _build_sync_resolver


# --------------------------------------------------------------------------------------
# install / uninstall
# --------------------------------------------------------------------------------------


@dataclasses.dataclass
class InstalledAdapters:
    runner: BatchJobRunner
    retry_sleeps: RetrySleeps
    interpreter_boto3: _InterpreterBoto3


_PATCHES = _Patches()
_INSTALLED: Optional[InstalledAdapters] = None
_INSTALL_LOCK = threading.Lock()


def check_moto_version() -> None:
    if moto.__version__ != PINNED_MOTO_VERSION:
        raise RuntimeError(
            f"tests/support/moto_adapters.py patches moto {PINNED_MOTO_VERSION} internals; "
            f"found moto {moto.__version__}. Re-check every entry of PATCHED_INTERNALS "
            "(run tests/support/test_moto_adapters.py) before changing the pin."
        )


def install(endpoint_url: str, base_env: Dict[str, str], workdir: Optional[str] = None) -> InstalledAdapters:
    """Apply every adapter (idempotent: a second call re-targets the endpoint/env)."""
    global _INSTALLED, _RUNNER
    check_moto_version()
    with _INSTALL_LOCK:
        if _INSTALLED is not None:
            _INSTALLED.interpreter_boto3.endpoint_url = endpoint_url
            from . import eventbridge

            eventbridge.STATE.endpoint_url = endpoint_url
            _INSTALLED.runner.base_env = dict(base_env)
            return _INSTALLED
        runner = BatchJobRunner(base_env, workdir)
        sleeps = RetrySleeps()
        shim = _InterpreterBoto3(endpoint_url)
        # A
        _PATCHES.set(StateTaskServiceBatch, "_eval_parameters", _batch_eval_parameters)
        _PATCHES.set(StateTaskServiceBatch, "_normalise_parameters", _batch_normalise_parameters)
        _PATCHES.set(StateTaskServiceBatch, "_normalise_response", _batch_normalise_response)
        # B
        _PATCHES.set(branches_decl, "CustomErrorName", preserving_error_name)
        _PATCHES.set(iteration_worker, "CustomErrorName", preserving_error_name)
        # C
        _PATCHES.set(batch_models.Job, "run", _job_run)
        _PATCHES.set(batch_responses.BatchResponse, "submitjob",
                     _wrap_submitjob(batch_responses.BatchResponse.submitjob))
        _PATCHES.set(StateTaskServiceBatch, "_build_sync_resolver",
                     _wrap_build_sync_resolver(StateTaskServiceBatch._build_sync_resolver))
        # H (before D so that the original is moto's inherited one)
        _PATCHES.set(StateTaskServiceBatch, "_eval_execution",
                     _wrap_eval_execution(StateTaskServiceBatch._eval_execution))
        # D
        _PATCHES.set(sfn_boto_client, "boto3", shim)
        # E
        _PATCHES.set(retrier_decl, "time", sleeps)
        # F
        _PATCHES.set(sfn_parser_models, "copy", _SnapshotCopy())
        backend_cls = sfn_parser_models.StepFunctionsParserBackend
        _PATCHES.set(backend_cls, "start_execution", _wrap_start_execution(backend_cls.start_execution))
        # G
        component = distributed_iteration_component.DistributedIterationComponent
        _PATCHES.set(component, "_map_run", _wrap_map_run(component._map_run))
        # I (its own module: sfn_redrive.py)
        from . import sfn_redrive

        sfn_redrive.install(_PATCHES)
        # K (its own module: eventbridge.py)
        from . import eventbridge

        eventbridge.install(_PATCHES, endpoint_url)
        # J
        _PATCHES.set(backend_cls, "stop_execution", _wrap_stop_execution(backend_cls.stop_execution))
        # L
        _PATCHES.set(batch_models, "JOB_NAME_REGEX", DOCUMENTED_JOB_NAME)
        # M
        _PATCHES.set(batch_models.BatchBackend, "describe_jobs", _describe_jobs_of_a_snapshot)
        _RUNNER = runner
        _INSTALLED = InstalledAdapters(runner=runner, retry_sleeps=sleeps, interpreter_boto3=shim)
        return _INSTALLED


def _describe_jobs_of_a_snapshot(self: Any, jobs: Optional[List[str]]) -> List[Dict[str, Any]]:
    """moto's BatchBackend.describe_jobs over a copy of the job table (adapter M): same filter, same order."""
    wanted = set(jobs or ())
    return [job.describe() for key, job in list(self._jobs.items())
            if not wanted or key in wanted or job.arn in wanted]


def uninstall() -> None:
    global _INSTALLED, _RUNNER
    with _INSTALL_LOCK:
        if _INSTALLED is None:
            return
        _INSTALLED.runner.clear()
        _PATCHES.restore()
        _INSTALLED = None
        _RUNNER = None


def installed() -> Optional[InstalledAdapters]:
    return _INSTALLED


def resolve_original(internal: PatchedInternal, qualname: Optional[str] = None) -> Any:
    """The moto object ``internal`` names, as moto defines it (our patch unwrapped).

    Raises AttributeError/ImportError when it no longer exists."""
    module = importlib.import_module(internal.module)
    owner: Any = module
    obj: Any = module
    parts = (qualname or internal.qualname).split(".")
    for part in parts:
        owner = obj
        obj = inspect.getattr_static(owner, part)
    for saved_owner, name, had_own, original in _PATCHES._saved:
        if saved_owner is owner and name == parts[-1] and had_own:
            obj = original
    return obj
