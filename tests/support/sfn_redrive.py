"""Adapter I: RedriveExecution on moto's Step Functions interpreter, following AWS's documented rule.

AWS (API reference, RedriveExecution,
https://docs.aws.amazon.com/step-functions/latest/apireference/API_RedriveExecution.html):
"When you redrive an execution, it continues the failed execution from the
unsuccessful step and uses the same input. Step Functions preserves the results and
execution history of the successful steps, and doesn't rerun these steps when you
redrive an execution. [...] For workflows that include an Inline Map or Parallel
state, RedriveExecution API action reschedules and redrives only the iterations and
branches that failed or aborted." Distributed Map (redrive-map-run.html): "A redriven
parent workflow redrives all the unsuccessful states, including Distributed Map".

moto 5.2.1 has no RedriveExecution. This module adds it (the API, DescribeExecution's
redrive fields) and the semantics: every state that exits successfully records its
output and where it went, under the execution's id, the state's name and its input
(the nth such entry of an attempt). A redriven attempt runs the machine from its
start again, but a state with a recorded success *replays* it - its output and next
state are restored, nothing is evaluated, no Batch job is submitted - so control
reaches the unsuccessful state having re-run nothing, and continues from there.
Inside an inline Map or Parallel the same rule applies per iteration and branch:
iterations and branches whose states all succeeded replay, failed ones resume at
their failed state. The Map or Parallel state itself has no recorded success (it
failed), so it is evaluated and schedules its iterations again, as AWS does.

Limits (documented, not hidden): a distributed Map's child executions are new
executions in moto, so a redriven Map Run re-runs its children from their start
(AWS re-runs only the unsuccessful children); a state entered twice in one attempt
with the same input is told apart by the order it is entered in.

The guard test (test_moto_adapters.py) checks every moto internal this module
touches (:data:`REDRIVE_INTERNALS`).
"""
from __future__ import annotations

import copy
import functools
import json
import threading
from collections import defaultdict
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Optional, Tuple

from moto.core.exceptions import AWSError
from moto.core.responses import ActionResult
from moto.stepfunctions import responses as sfn_responses
from moto.stepfunctions.parser import models as sfn_parser_models
from moto.stepfunctions.parser.api import ExecutionStatus
from moto.stepfunctions.parser.asl.component.state import state as sfn_state
from moto.stepfunctions.parser.asl.eval.program_state import ProgramEnded, ProgramRunning

from .moto_adapters import PatchedInternal

REDRIVE_INTERNALS: List[PatchedInternal] = [
    # The API: the response dispatches on method names; we add redrive_execution ...
    PatchedInternal("moto.core.responses", "BaseResponse.call_action", "I", params=("self",),
                    source_contains=("action = camelcase_to_underscores(self._get_action())",
                                     "method_names_from_class(self.__class__)")),
    PatchedInternal("moto.stepfunctions.responses", "StepFunctionResponse.stepfunction_backend", "I"),
    # ... wrap describe_execution (its ActionResult dict gets the redrive fields) ...
    PatchedInternal("moto.stepfunctions.responses", "StepFunctionResponse.describe_execution", "I",
                    params=("self",),
                    source_contains=('arn = self._get_param("executionArn")', "return ActionResult(response)")),
    PatchedInternal("moto.core.responses", "ActionResult.result", "I"),
    PatchedInternal("moto.stepfunctions.models", "StepFunctionBackend.describe_execution", "I",
                    params=("self", "execution_arn")),
    # ... and restart an execution in place: a new worker on the same Execution object.
    PatchedInternal("moto.stepfunctions.parser.backend.execution", "Execution.start", "I", params=("self",),
                    source_contains=("if self.exec_worker:",
                                     "self.exec_worker = self._get_start_execution_worker()",
                                     "self.exec_status = ExecutionStatus.RUNNING",
                                     "self.exec_worker.start()")),
    PatchedInternal("moto.stepfunctions.parser.backend.execution", "Execution.__init__", "I",
                    source_contains=("self.exec_status = None", "self.stop_date = None", "self.output = None",
                                     "self.error = None", "self.cause = None", "self.exec_worker = None")),
    PatchedInternal("moto.stepfunctions.parser.backend.execution", "Execution.get_start_execution_details", "I",
                    params=("self",),
                    source_contains=("arn=self.exec_arn", "name=self.name", "inpt=self.input_data",
                                     "start_time=self.start_date")),
    # A terminal status means the worker thread is done: the status is reflected last.
    PatchedInternal("moto.stepfunctions.parser.backend.execution_worker", "ExecutionWorker._execution_logic", "I",
                    params=("self",),
                    source_contains=("program.eval(self.env)", "self._execution_communication.terminated()")),
    # Redrive semantics: every state's evaluation goes through CommonStateField._eval_body,
    # which ends by storing the output as the next input and setting the next state.
    PatchedInternal("moto.stepfunctions.parser.asl.component.state.state", "CommonStateField._eval_body", "I",
                    params=("self", "env"),
                    source_contains=("self._eval_state_output(env=env)", "self._set_next(env)",
                                     "if not isinstance(env.program_state(), ProgramRunning):")),
    PatchedInternal("moto.stepfunctions.parser.asl.component.state.state", "CommonStateField._set_next", "I",
                    params=("self", "env"), source_contains=("env.set_ended()",)),
    PatchedInternal("moto.stepfunctions.parser.asl.eval.states", "States.reset", "I",
                    params=("self", "input_value")),
    PatchedInternal("moto.stepfunctions.parser.asl.eval.environment", "Environment.set_ended", "I",
                    params=("self",)),
]


# --------------------------------------------------------------------------------------
# I. RedriveExecution
# --------------------------------------------------------------------------------------
#
# What moto does: nothing. StepFunctionResponse has no ``redrive_execution``, so
# BaseResponse.call_action raises NotImplementedError and the server answers
# RedriveExecution with HTTP 500; executions have no redrive count, and
# DescribeExecution never returns redriveCount / redriveDate / redriveStatus.
# Why we need it: ``sfncompile redrive Flow/sfn-...`` calls RedriveExecution and must be
# tested end to end: the failed step runs again and the run succeeds, with the same
# run id (``sfn-<execution name>``), and finished tasks' user code does not run twice.
# What the patch does:
#  * adds ``StepFunctionsParserBackend.redrive_execution(execution_arn)``: only a
#    FAILED / TIMED_OUT / ABORTED execution may be redriven (else ExecutionNotRedrivable,
#    "Execution is <STATUS> and cannot be redriven.", AWS's wording); it then restarts
#    the SAME Execution object - same ARN, name, input and (snapshotted) definition, as
#    AWS redrives - with a fresh interpreter worker (see "Redrive semantics" below for
#    which states actually run again). redriveCount is
#    incremented, redriveDate set, error/cause/stopDate/output cleared, and the status
#    is RUNNING before the call returns, so a DescribeExecution poll right after
#    RedriveExecution (``trigger --wait``-style) never sees the old FAILED status;
#  * adds ``StepFunctionResponse.redrive_execution`` (the action; answers
#    ``{"redriveDate": ...}``), only with the executing (parser) backend;
#  * wraps ``StepFunctionResponse.describe_execution`` to add redriveCount (0 until
#    redriven), redriveDate, redriveStatus and, when NOT_REDRIVABLE, redriveStatusReason.
# Not emulated: the execution history restarts with the redriven run (no
# ExecutionRedriven event, earlier events dropped), ``$$.Execution.RedriveCount`` is
# absent from the context object, ListExecutions has no redrive fields, and there is
# no 14-day / 1,000-redrive limit.


class ExecutionNotRedrivable(AWSError):
    TYPE = "ExecutionNotRedrivable"
    STATUS = 400


REDRIVABLE_STATUSES = (ExecutionStatus.FAILED, ExecutionStatus.TIMED_OUT, ExecutionStatus.ABORTED)
_REDRIVE_LOCK = threading.Lock()


def _status_name(execution: Any) -> str:
    status = execution.exec_status
    return getattr(status, "value", str(status))


def _backend_redrive_execution(self, execution_arn: str) -> Any:
    """Added as ``StepFunctionsParserBackend.redrive_execution`` (adapter I)."""
    execution = self.describe_execution(execution_arn)  # ExecutionDoesNotExist / InvalidArn as moto answers
    with _REDRIVE_LOCK:
        if execution.exec_status not in REDRIVABLE_STATUSES:
            raise ExecutionNotRedrivable(f"Execution is {_status_name(execution)} and cannot be redriven.")
        # A terminal status is set as the old worker's last act: its thread is done.
        execution.exec_worker = None
        execution.error = execution.cause = execution.stop_date = execution.output = None
        execution.redrive_count = getattr(execution, "redrive_count", 0) + 1
        execution.redrive_date = datetime.now(tz=timezone.utc)
        RESULTS.begin_attempt(execution_arn)  # states that succeeded replay their results
        execution.start()  # a new worker; status RUNNING from here on
    return execution


def _response_redrive_execution(self) -> ActionResult:
    """Added as ``StepFunctionResponse.redrive_execution`` (adapter I): the RedriveExecution action."""
    arn = self._get_param("executionArn")
    backend = self.stepfunction_backend
    if not isinstance(backend, sfn_parser_models.StepFunctionsParserBackend):
        raise ExecutionNotRedrivable(
            "the emulator redrives only executions it runs (stepfunctions.execute_state_machine is off)"
        )
    execution = backend.redrive_execution(arn)
    return ActionResult({"redriveDate": execution.redrive_date})


def redrive_fields(execution: Any) -> Dict[str, Any]:
    """DescribeExecution's redrive members for a moto (parser) Execution."""
    count = getattr(execution, "redrive_count", 0)
    fields: Dict[str, Any] = {"redriveCount": count}
    if count:
        fields["redriveDate"] = execution.redrive_date
    if execution.exec_status in REDRIVABLE_STATUSES:
        fields["redriveStatus"] = "REDRIVABLE"
    else:
        fields["redriveStatus"] = "NOT_REDRIVABLE"
        fields["redriveStatusReason"] = f"Execution is {_status_name(execution)} and cannot be redriven."
    return fields


def _wrap_describe_execution(original: Callable) -> Callable:
    @functools.wraps(original)
    def describe_execution(self) -> Any:
        """Wraps ``StepFunctionResponse.describe_execution`` (adapter I): adds the redrive fields."""
        result = original(self)
        backend = self.stepfunction_backend
        if isinstance(backend, sfn_parser_models.StepFunctionsParserBackend) and isinstance(
            getattr(result, "result", None), dict
        ):
            execution = backend.describe_execution(self._get_param("executionArn"))
            result.result.update(redrive_fields(execution))
        return result

    describe_execution.__sfncompile_original__ = original  # type: ignore[attr-defined]
    return describe_execution


# --------------------------------------------------------------------------------------
# Redrive semantics: succeeded states replay their recorded results
# --------------------------------------------------------------------------------------

_Key = Tuple[str, str]  # (state name, state input as canonical JSON)


class StateResults:
    """What each state that exited successfully produced, per execution, across attempts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._results: Dict[str, Dict[_Key, List[Tuple[Any, Optional[str]]]]] = defaultdict(dict)
        self._entered: Dict[str, Dict[_Key, int]] = defaultdict(dict)
        self.replayed: Dict[str, List[str]] = defaultdict(list)  # execution -> states replayed (for tests)

    def begin_attempt(self, execution: str) -> None:
        with self._lock:
            self._entered[execution] = {}

    def enter(self, execution: str, key: _Key) -> Tuple[int, Optional[Tuple[Any, Optional[str]]]]:
        """(this entry's number, the recorded (output, next) to replay or None)."""
        with self._lock:
            n = self._entered[execution].get(key, 0)
            self._entered[execution][key] = n + 1
            recorded = self._results[execution].get(key, [])
            if n < len(recorded):
                self.replayed[execution].append(key[0])
                return n, recorded[n]
            return n, None

    def record(self, execution: str, key: _Key, n: int, output: Any, next_state: Optional[str]) -> None:
        with self._lock:
            recorded = self._results[execution].setdefault(key, [])
            if n == len(recorded):
                recorded.append((output, next_state))

    def clear(self) -> None:
        with self._lock:
            self._results.clear()
            self._entered.clear()
            self.replayed.clear()


RESULTS = StateResults()


def _execution_id(env: Any) -> str:
    return env.states.context_object.context_object_data["Execution"]["Id"]


def _wrap_eval_body(original: Callable) -> Callable:
    @functools.wraps(original)
    def _eval_body(self, env) -> None:
        """Wraps ``CommonStateField._eval_body``: replay a recorded success, else evaluate and record one."""
        execution = _execution_id(env)
        key = (self.name, json.dumps(env.states.get_input(), sort_keys=True, default=str))
        n, recorded = RESULTS.enter(execution, key)
        if recorded is not None:
            output, next_state = recorded
            env.states.reset(input_value=copy.deepcopy(output))
            if next_state is None:
                env.set_ended()
            else:
                env.next_state_name = next_state
            return
        original(self, env)
        state = env.program_state()
        if isinstance(state, ProgramRunning):
            RESULTS.record(execution, key, n, copy.deepcopy(env.states.get_input()), env.next_state_name)
        elif isinstance(state, ProgramEnded):
            RESULTS.record(execution, key, n, copy.deepcopy(env.states.get_input()), None)

    _eval_body.__sfncompile_original__ = original  # type: ignore[attr-defined]
    return _eval_body


def install(patches: Any) -> None:
    """Apply adapter I with moto_adapters' patch registry (uninstall restores everything)."""
    RESULTS.clear()
    backend_cls = sfn_parser_models.StepFunctionsParserBackend
    response_cls = sfn_responses.StepFunctionResponse
    # new attributes: uninstall deletes them again
    patches.set(backend_cls, "redrive_execution", _backend_redrive_execution)
    patches.set(response_cls, "redrive_execution", _response_redrive_execution)
    patches.set(response_cls, "describe_execution", _wrap_describe_execution(response_cls.describe_execution))
    field = sfn_state.CommonStateField
    patches.set(field, "_eval_body", _wrap_eval_body(field._eval_body))
