"""K. EventBridge → Step Functions on the emulator, as AWS documents it (adapter K of moto_adapters).

What moto 5.2.1 does: ``Rule.send_to_targets`` applies the rule's pattern (moto's
``EventPattern.matches_event``, the routing code that really evaluates patterns; its
``TestEventPattern`` API is a stub) and then delivers only to CloudWatch Logs, SQS,
archives, other buses and API destinations: a Step Functions target is silently
skipped. Its input transformer (``EventTemplateParser``) also differs from AWS's:
it inserts a string value without quotes where the template has none. And moto's
Step Functions never sends "Execution Status Change" events.

Why we need it: ``@trigger`` and ``@trigger_on_finish`` deploy EventBridge rules whose
target is a state machine; the end-to-end test must see an upstream run's success start
the downstream execution with the input our transformer writes.

What the patch does (nothing else):

* ``Rule.send_to_targets`` is wrapped: moto's own delivery runs unchanged for its own
  targets (on a copy of the rule without ours: moto raises NotImplementedError for a
  target it does not know); then, when
  the rule is ENABLED and moto's pattern matching accepts the event, every target whose
  ARN is a state machine gets the event transformed by :func:`transform` (AWS's
  semantics, below) and started with StartExecution, as the target's role - after
  checking, as IAM would, that the role trusts ``events.amazonaws.com`` for this rule
  and account, and that its policies allow ``states:StartExecution`` on the target
  (a target whose role may not start it gets no execution, as on AWS, where the
  invocation fails: https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-troubleshooting.html).
* ``BaseExecutionWorkerCommunication.terminated`` (where an execution's final status is
  set) is wrapped to send the "Step Functions Execution Status Change" event to the
  default bus of the execution's account and region, with the fields AWS documents
  (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html): source
  ``aws.states``, ``resources`` = [execution ARN], detail ``executionArn``,
  ``stateMachineArn``, ``name``, ``status``, ``startDate``/``stopDate`` (epoch ms),
  ``input``, ``output``, ``error``, ``cause``. Only terminal statuses are sent (AWS
  also sends RUNNING; no sfncompile rule matches it).

Input transformer semantics (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
and https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html):
each ``InputPathsMap`` entry is a JSON path in dot notation (array indices allowed); a
placeholder ``<name>`` outside a JSON string takes the JSON value at that path (a string
with its quotes: the reference's ``{"myInstance": <instance>}`` example), inside a string
its text, unescaped ("EventBridge doesn't escape values extracted by Input Path").
A path that is not in the event creates no variable; since the docs leave such a
placeholder's output unspecified, :func:`transform` raises instead of guessing - the
product must never depend on it. Predefined variables: ``aws.events.rule-arn``,
``aws.events.rule-name``, ``aws.events.event.ingestion-time``, ``aws.events.event.json``.
"""
from __future__ import annotations

import copy
import fnmatch
import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional, Tuple

import boto3

from moto.events import models as events_models
from moto.stepfunctions.parser.backend import execution as sfn_execution

from .moto_adapters import PatchedInternal

EVENTBRIDGE_INTERNALS: List[PatchedInternal] = [
    PatchedInternal("moto.events.models", "Rule.send_to_targets", "K",
                    params=("self", "original_event", "transform_input"),
                    source_contains=("if not self.event_pattern.matches_event(original_event):",
                                     "for target in self.targets:",
                                     'raise NotImplementedError(f"Expr not defined for {type(self)}")')),
    PatchedInternal("moto.events.models", "EventPattern.matches_event", "K", params=("self", "event")),
    PatchedInternal("moto.events.models", "EventsBackend.put_events", "K", params=("self", "events"),
                    source_contains=("for rule in event_bus.rules.values():", "rule.send_to_targets(event_msg)")),
    PatchedInternal("moto.events.models", "events_backends", "K"),
    PatchedInternal("moto.stepfunctions.parser.backend.execution", "BaseExecutionWorkerCommunication.terminated", "K",
                    params=("self",), source_contains=("self._reflect_execution_status()",)),
    PatchedInternal("moto.stepfunctions.parser.backend.execution", "BaseExecutionWorkerCommunication._reflect_execution_status",
                    "K", params=("self",),
                    source_contains=("self.execution.exec_status = ExecutionStatus.SUCCEEDED",
                                     "self.execution.stop_date =")),
]

SFN_STATUS_CHANGE = "Step Functions Execution Status Change"
PREDEFINED = ("aws.events.rule-arn", "aws.events.rule-name", "aws.events.event.ingestion-time",
              "aws.events.event.json")


@dataclass
class Delivery:
    """One event EventBridge handed to a state machine target (or failed to)."""

    rule: str
    target: str
    input: Optional[str]
    execution_arn: Optional[str] = None
    error: Optional[str] = None


@dataclass
class EventBridgeState:
    endpoint_url: str = ""
    deliveries: List[Delivery] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def clear(self) -> None:
        with self.lock:
            self.deliveries.clear()


STATE = EventBridgeState()

_PATH = re.compile(r"^\$(\.[A-Za-z0-9_\-/]+(\[\d+\])*|\[\d+\])*$")


def evaluate_path(path: str, event: Any) -> Tuple[bool, Any]:
    """(found, value) of a dot-notation JSON path such as ``$.detail.items[0].name``."""
    if not _PATH.match(path):
        raise ValueError(f"EventBridge supports dot notation paths only, got {path!r}")
    value = event
    for name, index in re.findall(r"\.([A-Za-z0-9_\-/]+)|\[(\d+)\]", path[1:]):
        if name:
            if not isinstance(value, dict) or name not in value:
                return False, None
            value = value[name]
        else:
            if not isinstance(value, list) or int(index) >= len(value):
                return False, None
            value = value[int(index)]
    return True, value


def transform(paths: Dict[str, str], template: str, event: Dict[str, Any], rule_arn: str, rule_name: str) -> str:
    """The text EventBridge sends the target for ``event`` (see the module docstring)."""
    values: Dict[str, Any] = {
        "aws.events.rule-arn": rule_arn, "aws.events.rule-name": rule_name,
        "aws.events.event.ingestion-time": event.get("ingestion-time") or event.get("time"),
        "aws.events.event.json": event,
    }
    for name, path in paths.items():
        found, value = evaluate_path(path, event)
        if found:
            values[name] = value
    out: List[str] = []
    in_string = escaped = False
    i = 0
    while i < len(template):
        ch = template[i]
        if ch == "<":
            end = template.find(">", i)
            name = template[i + 1:end] if end > i else ""
            if name in paths or name in PREDEFINED:
                if name not in values:
                    raise AssertionError(f"input path {paths[name]!r} is not in the event: EventBridge creates no "
                                         f"variable <{name}> and the docs leave its output unspecified")
                value = values[name]
                out.append(value if in_string and isinstance(value, str) else json.dumps(value))
                i = end + 1
                continue
        if in_string:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                in_string = False
        elif ch == '"':
            in_string = True
        out.append(ch)
        i += 1
    return "".join(out)


def _client(service: str, region: str) -> Any:
    return boto3.client(service, endpoint_url=STATE.endpoint_url, region_name=region,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _documents(iam: Any, role_name: str) -> Tuple[Dict[str, Any], List[Dict[str, Any]]]:
    role = iam.get_role(RoleName=role_name)["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    policies = []
    for name in iam.list_role_policies(RoleName=role_name)["PolicyNames"]:
        doc = iam.get_role_policy(RoleName=role_name, PolicyName=name)["PolicyDocument"]
        policies.append(json.loads(doc) if isinstance(doc, str) else doc)
    return trust, policies


def _as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else [value]


def role_may_start(iam: Any, role_arn: str, rule_arn: str, account: str, state_machine_arn: str) -> Optional[str]:
    """None when EventBridge may assume ``role_arn`` for ``rule_arn`` and start the machine; else why not."""
    trust, policies = _documents(iam, role_arn.rsplit("/", 1)[-1])
    trusted = False
    for st in _as_list(trust.get("Statement", [])):
        if st.get("Effect") != "Allow" or st.get("Principal", {}).get("Service") != "events.amazonaws.com":
            continue
        cond = st.get("Condition", {})
        accounts = _as_list(cond.get("StringEquals", {}).get("aws:SourceAccount", account))
        sources = _as_list(cond.get("ArnLike", {}).get("aws:SourceArn", "*"))
        if account in accounts and any(fnmatch.fnmatchcase(rule_arn, s) for s in sources):
            trusted = True
    if not trusted:
        return f"role {role_arn} does not trust events.amazonaws.com for rule {rule_arn}"
    for doc in policies:
        for st in _as_list(doc.get("Statement", [])):
            if st.get("Effect") == "Allow" and any(fnmatch.fnmatchcase("states:StartExecution", a)
                                                   for a in _as_list(st.get("Action", []))) \
                    and any(fnmatch.fnmatchcase(state_machine_arn, r) for r in _as_list(st.get("Resource", []))):
                return None
    return f"role {role_arn} may not states:StartExecution on {state_machine_arn}"


def _deliver(rule: Any, event: Dict[str, Any]) -> None:
    for target in rule.targets:
        arn = target["Arn"]
        if not _is_state_machine(arn):
            continue
        transformer = target.get("InputTransformer")
        if transformer:
            text = transform(transformer.get("InputPathsMap") or {}, transformer["InputTemplate"], event,
                             rule.arn, rule.name)
        else:
            text = target.get("Input") or json.dumps(event)
        delivery = Delivery(rule=rule.name, target=arn, input=text)
        iam = _client("iam", rule.region_name)
        delivery.error = role_may_start(iam, target.get("RoleArn") or "", rule.arn, rule.account_id, arn)
        if delivery.error is None:
            try:
                response = _client("stepfunctions", rule.region_name).start_execution(stateMachineArn=arn, input=text)
                delivery.execution_arn = response["executionArn"]
            except Exception as exc:  # noqa: BLE001 - recorded: AWS counts it as a failed invocation
                delivery.error = f"{type(exc).__name__}: {exc}"
        with STATE.lock:
            STATE.deliveries.append(delivery)


def _is_state_machine(arn: str) -> bool:
    return ":states:" in arn and ":stateMachine:" in arn


def _wrap_send_to_targets(original: Any) -> Any:
    def send_to_targets(self: Any, original_event: Dict[str, Any], transform_input: bool = True) -> None:
        others = [t for t in self.targets if not _is_state_machine(t["Arn"])]
        if others:  # moto's own targets, on a copy of the rule without ours (moto raises for a target it lacks)
            clone = copy.copy(self)
            clone.targets = others
            original(clone, original_event, transform_input)
        if self.state != "ENABLED" or not self.event_pattern.matches_event(original_event):
            return
        _deliver(self, json.loads(json.dumps(original_event)))

    return send_to_targets


def _epoch_ms(value: Any) -> Optional[int]:
    return int(value.timestamp() * 1000) if isinstance(value, datetime) else None


def status_change_event(execution: Any) -> Dict[str, Any]:
    """The event Step Functions sends when ``execution`` ends (cw-events page's shape)."""
    exec_arn = execution.exec_arn
    parts = exec_arn.split(":")
    machine_arn = ":".join(parts[:5] + ["stateMachine", parts[6]])
    status = str(getattr(execution.exec_status, "value", execution.exec_status))
    output = execution.output
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0", "id": f"{execution.name}-{status.lower()}", "detail-type": SFN_STATUS_CHANGE,
        "source": "aws.states", "account": execution.account_id, "time": now, "region": execution.region_name,
        "resources": [exec_arn], "ingestion-time": now,
        "detail": {
            "executionArn": exec_arn, "stateMachineArn": machine_arn, "name": execution.name, "status": status,
            "startDate": _epoch_ms(execution.start_date), "stopDate": _epoch_ms(execution.stop_date),
            "input": json.dumps(execution.input_data), "output": None if output is None else json.dumps(output),
            "inputDetails": {"included": True}, "outputDetails": {"included": True},
            "error": execution.error, "cause": execution.cause,
        },
    }


def _wrap_terminated(original: Any) -> Any:
    def terminated(self: Any) -> None:
        original(self)
        execution = self.execution
        backend = events_models.events_backends[execution.account_id][execution.region_name]
        event = status_change_event(execution)
        for rule in list(backend.event_buses["default"].rules.values()):
            rule.send_to_targets(event)

    return terminated


def install(patches: Any, endpoint_url: str) -> EventBridgeState:
    """Apply adapter K with moto_adapters' patch registry (its uninstall restores everything)."""
    STATE.endpoint_url = endpoint_url
    STATE.clear()
    rule_cls = events_models.Rule
    patches.set(rule_cls, "send_to_targets", _wrap_send_to_targets(rule_cls.send_to_targets))
    comm = sfn_execution.BaseExecutionWorkerCommunication
    patches.set(comm, "terminated", _wrap_terminated(comm.terminated))
    return STATE
