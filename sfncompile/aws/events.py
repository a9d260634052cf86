"""@trigger / @trigger_on_finish → EventBridge rules that start the deployment's state machine.

No poller of our own: each trigger is one EventBridge rule with one target, the state
machine, and an input transformer that writes our execution input
``{"parameters": {"__trigger__": {...}}}`` (the start task reads it: runtime/triggers.py).

* ``@trigger(event=NAME)``: a rule on the stage's custom event bus (created by the infra
  stack, config ``event_bus``) matching ``source: sfncompile`` and ``detail-type: NAME``.
  An event's ``detail`` is its payload; ``sfncompile event publish`` (:func:`publish`) puts
  such events.
* ``@trigger_on_finish(flow=F)``: a rule on the account's default bus matching Step
  Functions' "Execution Status Change" event of the upstream deployment's state machine
  with status SUCCEEDED (https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html).

Every target uses the deployment's own role (:func:`trigger_role`), which may start only
this one state machine and which only this deployment's rules may assume.

Several triggers on one flow: each rule starts the flow on its own, so **any one of
them** starts a run. Payload fields are mapped to parameters and validated against the
flow's JSON Schema by the start task, not by the transformer: EventBridge leaves a
placeholder whose path is missing from the event undefined, and a schema check cannot
be expressed in a rule; so the transformer carries the whole payload and the start
task decides (a payload that does not validate is recorded as a rejected trigger).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..exceptions import ConfigError, ParameterError
from ..flow.project import ProjectInfo
from ..flow.triggers import upstream_parts
from . import names
from .errors import aws_errors

EVENT_SOURCE = "sfncompile"
# A PutEvents entry "must be less than 256KB", counted as the UTF-8 bytes of its Source, DetailType,
# Detail and Resources, plus 14 for a Time (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html).
EVENT_ENTRY_LIMIT = 256 * 1024
SFN_SOURCE = "aws.states"
SFN_STATUS_CHANGE = "Step Functions Execution Status Change"
DEFAULT_BUS = "default"
TRIGGER_KEY = "__trigger__"
TARGET_ID = "start"


@dataclass(frozen=True)
class RuleSpec:
    """One EventBridge rule and its one target, exactly as deploy creates them."""

    name: str
    bus: str
    pattern: Dict[str, Any]
    input_paths: Dict[str, str]
    input_template: str
    description: str

    def put_rule_request(self) -> Dict[str, Any]:
        return {"Name": self.name, "EventBusName": self.bus, "EventPattern": json.dumps(self.pattern, sort_keys=True),
                "State": "ENABLED", "Description": self.description}

    def target(self, state_machine_arn: str, role_arn: str) -> Dict[str, Any]:
        return {"Id": TARGET_ID, "Arn": state_machine_arn, "RoleArn": role_arn,
                "InputTransformer": {"InputPathsMap": dict(self.input_paths), "InputTemplate": self.input_template}}


def _template(trigger: Mapping[str, str], raw: Mapping[str, str]) -> str:
    """The execution input template: literal fields as JSON, ``raw`` fields as unquoted placeholders.

    Per the InputTransformer reference, a placeholder outside quotes takes the JSON value
    at its path, one inside a string its text
    (https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_InputTransformer.html).
    """
    fields = [f"{json.dumps(k)}: {json.dumps(v)}" for k, v in trigger.items()]
    fields += [f"{json.dumps(k)}: {placeholder}" for k, placeholder in raw.items()]
    return '{"parameters": {"%s": {%s}}}' % (TRIGGER_KEY, ", ".join(fields))


def event_parameters(name: str, payload: Mapping[str, Any]) -> Dict[str, Any]:
    """The execution's parameters an event rule's template makes of an event (id: a UUID)."""
    return {TRIGGER_KEY: {"type": "event", "event": name, "id": "0" * 36, "time": "2026-01-01T00:00:00Z",
                          "payload": dict(payload)}}


def event_rule(deployment: str, bus: str, index: int, event: Mapping[str, Any]) -> RuleSpec:
    return RuleSpec(
        name=names.rule_name(deployment, "e", index),
        bus=bus,
        pattern={"source": [EVENT_SOURCE], "detail-type": [event["name"]]},
        input_paths={"id": "$.id", "time": "$.time", "payload": "$.detail"},
        input_template=_template({"type": "event", "event": event["name"]},
                                 {"id": '"<id>"', "time": '"<time>"', "payload": "<payload>"}),
        description=f"sfncompile @trigger(event={event['name']!r}) of {deployment}",
    )


def upstream_deployment(config: Mapping[str, Any], upstream: str, info: Optional[ProjectInfo]) -> Tuple[str, str]:
    """(flow class, deployment name) of an @trigger_on_finish upstream.

    ``Flow`` names the deployment of the same project and branch as this one (or the plain
    ``<prefix>Flow`` when this flow has no @project); ``project.branch.Flow`` names one exactly.
    """
    project, branch, flow = upstream_parts(upstream)
    if project is not None:
        return flow, names.project_deployment_name(config, ProjectInfo(project, branch, flow))
    if info is not None:
        return flow, names.project_deployment_name(config, ProjectInfo(info.project, info.branch, flow))
    return flow, names.choose_deployment_name(config, flow, None, None)


def finish_rule(config: Mapping[str, Any], deployment: str, index: int, upstream: str,
                info: Optional[ProjectInfo]) -> RuleSpec:
    from .statemachine import state_machine_arn

    flow, upstream_name = upstream_deployment(config, upstream, info)
    return RuleSpec(
        name=names.rule_name(deployment, "f", index),
        bus=DEFAULT_BUS,
        pattern={"source": [SFN_SOURCE], "detail-type": [SFN_STATUS_CHANGE],
                 "detail": {"status": ["SUCCEEDED"], "stateMachineArn": [state_machine_arn(config, upstream_name)]}},
        input_paths={"id": "$.id", "time": "$.time", "name": "$.detail.name", "execution": "$.detail.executionArn"},
        input_template=_template({"type": "run", "flow": flow, "deployment": upstream_name},
                                 {"id": '"<id>"', "time": '"<time>"', "run": '"sfn-<name>"',
                                  "execution_arn": '"<execution>"'}),
        description=f"sfncompile @trigger_on_finish(flow={upstream!r}) of {deployment}",
    )


def trigger_rules(config: Mapping[str, Any], flow_decorators: Mapping[str, Any], deployment: str,
                  info: Optional[ProjectInfo]) -> List[RuleSpec]:
    """The rules a deployment's @trigger / @trigger_on_finish compile to (a pure function: no AWS call)."""
    rules: List[RuleSpec] = []
    events = (flow_decorators.get("trigger") or {}).get("events") or ()
    if events:
        bus = config.get("event_bus")
        if not bus:
            raise ConfigError(
                "the flow has @trigger but the config names no event bus (event_bus)",
                fix="deploy the current infra stack and rerun `sfncompile configure --stack ...`",
            )
        rules += [event_rule(deployment, bus, i, event) for i, event in enumerate(events)]
    for i, upstream in enumerate((flow_decorators.get("trigger_on_finish") or {}).get("flows") or ()):
        rules.append(finish_rule(config, deployment, i, upstream, info))
    return rules


def _rule_arn_patterns(config: Mapping[str, Any], deployment: str) -> List[str]:
    from .statemachine import account_of, partition_of

    base = f"arn:{partition_of(config)}:events:{config['region']}:{account_of(config)}:rule/"
    prefix = names.rule_prefix(deployment)
    patterns = [f"{base}{prefix}*"]
    if config.get("event_bus"):
        patterns.append(f"{base}{config['event_bus']}/{prefix}*")
    return patterns


def trigger_role(config: Mapping[str, Any], deployment: str, state_machine_arn: str) -> Dict[str, Any]:
    """The CreateRole request and inline policy of the deployment's trigger role.

    Trust: EventBridge, for this account and this deployment's rules only (confused deputy,
    https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-use-resource-based.html);
    permission: ``states:StartExecution`` on this one state machine. The stack's permissions
    boundary (config ``trigger_role_boundary_arn``) caps it at this stage's machines.
    """
    from .statemachine import account_of

    trust = {"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "events.amazonaws.com"}, "Action": "sts:AssumeRole",
        "Condition": {"StringEquals": {"aws:SourceAccount": account_of(config)},
                      "ArnLike": {"aws:SourceArn": _rule_arn_patterns(config, deployment)}},
    }]}
    policy = {"Version": "2012-10-17", "Statement": [{
        "Sid": "StartThisStateMachine", "Effect": "Allow", "Action": "states:StartExecution",
        "Resource": state_machine_arn,
    }]}
    request: Dict[str, Any] = {
        "RoleName": names.trigger_role_name(deployment),
        "AssumeRolePolicyDocument": json.dumps(trust, sort_keys=True),
        "Description": f"sfncompile: EventBridge starts {deployment}"[:1000],
        "Tags": [{"Key": "sfncompile:deployment", "Value": deployment}],
    }
    if config.get("trigger_role_boundary_arn"):
        request["PermissionsBoundary"] = config["trigger_role_boundary_arn"]
    return {"role": request, "policy": policy}


POLICY_NAME = "start-state-machine"


def _ensure_role(iam: Any, spec: Mapping[str, Any]) -> Tuple[str, bool]:
    """(role ARN, changed): create the role, or bring its trust and policy to the desired ones."""
    from botocore.exceptions import ClientError

    request, name = spec["role"], spec["role"]["RoleName"]
    policy = json.dumps(spec["policy"], sort_keys=True)
    changed = False
    with aws_errors(f"read IAM role {name}"):
        try:
            current: Optional[Dict[str, Any]] = iam.get_role(RoleName=name)["Role"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            current = None
    if current is None:
        with aws_errors(f"create IAM role {name}"):
            current = iam.create_role(**request)["Role"]
        changed = True
    else:
        boundary = (current.get("PermissionsBoundary") or {}).get("PermissionsBoundaryArn")
        if request.get("PermissionsBoundary") and boundary != request["PermissionsBoundary"]:
            with aws_errors(f"set the permissions boundary of {name}"):
                iam.put_role_permissions_boundary(RoleName=name, PermissionsBoundary=request["PermissionsBoundary"])
            changed = True
        trust = current.get("AssumeRolePolicyDocument")
        trust = json.loads(trust) if isinstance(trust, str) else trust
        if trust != json.loads(request["AssumeRolePolicyDocument"]):
            with aws_errors(f"update the trust policy of {name}"):
                iam.update_assume_role_policy(RoleName=name, PolicyDocument=request["AssumeRolePolicyDocument"])
            changed = True
    with aws_errors(f"read the policy of {name}"):
        try:
            existing = iam.get_role_policy(RoleName=name, PolicyName=POLICY_NAME)["PolicyDocument"]
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
                raise
            existing = None
    existing = json.loads(existing) if isinstance(existing, str) else existing
    if existing != spec["policy"]:
        with aws_errors(f"write the policy of {name}"):
            iam.put_role_policy(RoleName=name, PolicyName=POLICY_NAME, PolicyDocument=policy)
        changed = True
    return current["Arn"], changed


def _delete_role(iam: Any, name: str) -> bool:
    from botocore.exceptions import ClientError

    try:
        iam.delete_role_policy(RoleName=name, PolicyName=POLICY_NAME)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
    try:
        iam.delete_role(RoleName=name)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchEntity":
            return False
        raise
    return True


def _existing_rules(events: Any, config: Mapping[str, Any], deployment: str) -> List[Tuple[str, str]]:
    """(bus, rule name) of every rule this deployment has now, on the default and the stage's bus."""
    found = []
    for bus in dict.fromkeys([DEFAULT_BUS, config.get("event_bus") or DEFAULT_BUS]):
        with aws_errors(f"list the rules of {deployment} on bus {bus}"):
            for page in events.get_paginator("list_rules").paginate(NamePrefix=names.rule_prefix(deployment),
                                                                     EventBusName=bus):
                found += [(bus, rule["Name"]) for rule in page.get("Rules", [])]
    return found


def _delete_rule(events: Any, bus: str, name: str) -> None:
    with aws_errors(f"delete rule {name}"):
        events.remove_targets(Rule=name, EventBusName=bus, Ids=[TARGET_ID])
        events.delete_rule(Name=name, EventBusName=bus)


def sync_triggers(events: Any, iam: Any, config: Mapping[str, Any], deployment: str, state_machine_arn: str,
                  rules: List[RuleSpec]) -> List[str]:
    """Create/update the deployment's rules and trigger role, delete what the flow no longer has; the changes."""
    changes: List[str] = []
    existing = set(_existing_rules(events, config, deployment))
    wanted = {(r.bus, r.name) for r in rules}
    for bus, name in sorted(existing - wanted):
        _delete_rule(events, bus, name)
        changes.append(f"deleted trigger rule {name}")
    role_name = names.trigger_role_name(deployment)
    if not rules:
        if existing and _delete_role(iam, role_name):
            changes.append(f"deleted trigger role {role_name}")
        return changes
    role_arn, role_changed = _ensure_role(iam, trigger_role(config, deployment, state_machine_arn))
    if role_changed:
        changes.append(f"trigger role {role_name}")
    for rule in rules:
        target = rule.target(state_machine_arn, role_arn)
        if (rule.bus, rule.name) in existing and _rule_is(events, rule, target):
            continue
        with aws_errors(f"put rule {rule.name}"):
            events.put_rule(**rule.put_rule_request())
            events.put_targets(Rule=rule.name, EventBusName=rule.bus, Targets=[target])
        changes.append(f"trigger rule {rule.name} on bus {rule.bus}: {rule.description.split(' of ')[0]}")
    return changes


def _rule_is(events: Any, rule: RuleSpec, target: Mapping[str, Any]) -> bool:
    """Whether the rule on AWS has exactly the desired pattern, state and one target."""
    with aws_errors(f"read rule {rule.name}"):
        current = events.describe_rule(Name=rule.name, EventBusName=rule.bus)
        targets = events.list_targets_by_rule(Rule=rule.name, EventBusName=rule.bus).get("Targets", [])
    same_pattern = json.loads(current.get("EventPattern") or "{}") == rule.pattern
    return (same_pattern and current.get("State") == "ENABLED" and current.get("Description") == rule.description
            and len(targets) == 1 and _same_target(targets[0], target))


def _same_target(current: Mapping[str, Any], desired: Mapping[str, Any]) -> bool:
    ct, dt = current.get("InputTransformer") or {}, desired["InputTransformer"]
    return (current.get("Id") == desired["Id"] and current.get("Arn") == desired["Arn"]
            and current.get("RoleArn") == desired["RoleArn"]
            and (ct.get("InputPathsMap") or {}) == dt["InputPathsMap"] and ct.get("InputTemplate") == dt["InputTemplate"])


def delete_triggers(events: Any, iam: Any, config: Mapping[str, Any], deployment: str) -> List[str]:
    """Remove every rule and the trigger role of a deployment (``sfncompile delete``)."""
    return sync_triggers(events, iam, config, deployment, "", [])


def entry_bytes(entry: Mapping[str, Any]) -> int:
    """A PutEvents entry's size as EventBridge counts it (:data:`EVENT_ENTRY_LIMIT`)."""
    fields = [entry.get(key) or "" for key in ("Source", "DetailType", "Detail")] + list(entry.get("Resources") or ())
    return sum(len(field.encode("utf-8")) for field in fields) + (14 if entry.get("Time") is not None else 0)


def publish(name: str, payload: Mapping[str, Any], *, config: Optional[Mapping[str, Any]] = None) -> str:
    """Put an event named ``name`` with ``payload`` on the stage's event bus; returns its event id.

    Flows deployed with ``@trigger(event=name)`` start (their start task maps and validates the payload).
    """
    from . import config as cfg
    from .session import client
    from .start_guard import check_input_size, execution_input

    if not isinstance(payload, Mapping):
        raise ConfigError(f"an event payload is a JSON object, got {type(payload).__name__}",
                          fix="""pass --payload '{"field": "value"}'""")
    config = dict(config or cfg.load_config())
    bus = config.get("event_bus")
    if not bus:
        raise ConfigError("the config names no event bus (event_bus)",
                          fix="deploy the current infra stack and rerun `sfncompile configure --stack ...`")
    entry = {"Source": EVENT_SOURCE, "DetailType": name, "Detail": json.dumps(dict(payload)), "EventBusName": bus}
    what = f"the payload of event {name!r}"
    fix = "publish a reference to the data (an S3 URL, an id) instead of the data"
    size = entry_bytes(entry)
    if size >= EVENT_ENTRY_LIMIT:
        raise ParameterError(f"{what} makes an event entry of {size:,} bytes; EventBridge accepts only entries "
                             f"under {EVENT_ENTRY_LIMIT:,}", fix=fix)
    # A flow it starts gets the payload in its execution's input (the rule's transformer adds the trigger's fields).
    check_input_size(name, execution_input(event_parameters(name, payload)),
                     what=f"{what}, in the input of a flow it starts", fix=fix)
    with aws_errors(f"publish event {name}"):
        response = client("events", config).put_events(Entries=[entry])
    accepted = response["Entries"][0]
    if response.get("FailedEntryCount") or "EventId" not in accepted:
        raise ConfigError(f"EventBridge did not accept event {name}: {accepted.get('ErrorCode')}: "
                          f"{accepted.get('ErrorMessage')}", fix="check the payload is a JSON object under 256 KB")
    return accepted["EventId"]
