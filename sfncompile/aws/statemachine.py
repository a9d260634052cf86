"""Create, update, list and delete the state machines of deployed flows."""
from __future__ import annotations

import json
from typing import Any, Dict, List, Mapping, Optional, Tuple

from ..compiler.names import MAX_NAME_LENGTH as NAME_LIMIT  # Step Functions' 80 characters
from .errors import aws_errors

FLOW_TAG = "sfncompile:flow"
CODE_TAG = "sfncompile:code"

# Step Functions tags (https://docs.aws.amazon.com/step-functions/latest/apireference/API_Tag.html):
# keys 1-128 and values 0-256 characters of Unicode letters, digits, white space and these
# symbols; 50 tags a resource, the ``aws:`` prefix reserved
# (https://docs.aws.amazon.com/batch/latest/userguide/tag-restrictions.html, as for every AWS resource).
TAG_KEY_LIMIT = 128
TAG_VALUE_LIMIT = 256
TAGS_PER_RESOURCE = 50
TAG_SYMBOLS = "_.:/=+-@"


def _tag_text_problem(text: str, limit: int) -> Optional[str]:
    if len(text) > limit:
        return f"has {len(text)} characters; Step Functions allows {limit}"
    bad = sorted({c for c in text if not (c.isalnum() or c.isspace() or c in TAG_SYMBOLS)})
    if bad:
        return f"contains {', '.join(repr(c) for c in bad)}; tags may hold letters, digits, spaces and {TAG_SYMBOLS}"
    if text.lower().startswith("aws:"):
        return "starts with 'aws:', a prefix AWS keeps for itself"
    return None


def machine_tags(flow: str, code_sha256: str, tags: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    """The tags deploy puts on a flow's state machine: its flow, its code package, the user's."""
    return {FLOW_TAG: flow, CODE_TAG: code_sha256[:12], **(tags or {})}


def check_tags(tags: Mapping[str, str]) -> None:
    """CompileError naming the first tag of a state machine's that Step Functions would refuse."""
    from ..exceptions import CompileError

    if len(tags) > TAGS_PER_RESOURCE:
        raise CompileError(f"the state machine would have {len(tags)} tags (sfncompile's own included); "
                           f"Step Functions allows {TAGS_PER_RESOURCE}", fix="pass fewer --tag options")
    for key, value in tags.items():
        if not key:
            raise CompileError(f"tag ={value!r} has an empty key", fix="pass --tag key=value")
        for what, text, limit in (("key", key, TAG_KEY_LIMIT), ("value", value, TAG_VALUE_LIMIT)):
            problem = _tag_text_problem(text, limit)
            if problem is not None:
                raise CompileError(f"the {what} of tag {key[:40]!r} {problem}",
                                   fix=f"pass --tag with a {what} of at most {limit} allowed characters")


def deployment_name(config: Mapping[str, Any], flow: str, name: Optional[str] = None) -> str:
    """The state machine (and job definition, schedule, manifest) name of a deployed flow."""
    chosen = name or f"{config.get('state_machine_prefix', '')}{flow}"
    if len(chosen) > NAME_LIMIT:
        from ..exceptions import CompileError

        raise CompileError(
            f"state machine name {chosen!r} is {len(chosen)} characters; Step Functions allows {NAME_LIMIT}",
            fix="pass a shorter --name",
        )
    return chosen


def account_of(config: Mapping[str, Any]) -> str:
    """The account id, read from any ARN in the config (no STS call needed)."""
    for key in ("state_machine_role_arn", "job_queue", "job_role_arn"):
        value = config.get(key) or ""
        parts = value.split(":")
        if value.startswith("arn:") and len(parts) > 4 and parts[4]:
            return parts[4]
    from ..exceptions import ConfigError

    raise ConfigError("cannot tell the AWS account from the config", fix="rerun `sfncompile configure --stack ...`")


def partition_of(config: Mapping[str, Any]) -> str:
    arn = config.get("state_machine_role_arn", "arn:aws:")
    return arn.split(":")[1] or "aws"


def state_machine_arn(config: Mapping[str, Any], name: str) -> str:
    return f"arn:{partition_of(config)}:states:{config['region']}:{account_of(config)}:stateMachine:{name}"


def execution_arn(config: Mapping[str, Any], name: str, execution: str) -> str:
    return f"arn:{partition_of(config)}:states:{config['region']}:{account_of(config)}:execution:{name}:{execution}"


def describe(sfn: Any, arn: str) -> Optional[Dict[str, Any]]:
    from botocore.exceptions import ClientError

    try:
        return sfn.describe_state_machine(stateMachineArn=arn)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") in ("StateMachineDoesNotExist", "ResourceNotFound"):
            return None
        raise


def _same_definition(a: str, b: str) -> bool:
    try:
        return json.loads(a) == json.loads(b)
    except (TypeError, ValueError):
        return a == b


def create_request(config: Mapping[str, Any], name: str, definition: str, tags: Mapping[str, str]) -> Dict[str, Any]:
    """The CreateStateMachine request deploy sends (the size check measures this very dict)."""
    request: Dict[str, Any] = {
        "name": name,
        "definition": definition,
        "roleArn": config["state_machine_role_arn"],
        "type": "STANDARD",
        "tags": [{"key": k, "value": v} for k, v in sorted(tags.items())],
        "publish": True,
    }
    logging = _logging(config)
    if logging:
        request["loggingConfiguration"] = logging
    return request


def update_request(config: Mapping[str, Any], name: str, definition: str) -> Dict[str, Any]:
    """The UpdateStateMachine request deploy sends to a machine that exists."""
    return {"stateMachineArn": state_machine_arn(config, name), "definition": definition,
            "roleArn": config["state_machine_role_arn"], "publish": True,
            "loggingConfiguration": _logging(config) or LOGGING_OFF}


def ensure_state_machine(
    sfn: Any,
    config: Mapping[str, Any],
    name: str,
    definition: str,
    tags: Mapping[str, str],
) -> Tuple[str, str]:
    """(ARN, 'created' | 'updated' | 'unchanged'); a change publishes a new version."""
    arn = state_machine_arn(config, name)
    role = config["state_machine_role_arn"]
    logging = _logging(config)
    with aws_errors(f"describe state machine {name}"):
        current = describe(sfn, arn)
    if current is None:
        request = create_request(config, name, definition, tags)
        with aws_errors(f"create state machine {name}"):
            arn = sfn.create_state_machine(**request)["stateMachineArn"]
        return arn, "created"
    if (
        _same_definition(current["definition"], definition)
        and current.get("roleArn") == role
        and same_logging(current.get("loggingConfiguration"), logging)
    ):
        _retag(sfn, arn, tags)
        return arn, "unchanged"
    request = update_request(config, name, definition)
    with aws_errors(f"update state machine {name}"):
        sfn.update_state_machine(**request)
    _retag(sfn, arn, tags)
    return arn, "updated"


def _retag(sfn: Any, arn: str, tags: Mapping[str, str]) -> None:
    with aws_errors("tag state machine"):
        current = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=arn).get("tags", [])}
        if any(current.get(k) != v for k, v in tags.items()):
            sfn.tag_resource(resourceArn=arn, tags=[{"key": k, "value": v} for k, v in sorted(tags.items())])


LOGGING_OFF: Dict[str, Any] = {"level": "OFF", "includeExecutionData": False}


def same_logging(current: Optional[Mapping[str, Any]], desired: Optional[Mapping[str, Any]]) -> bool:
    """Whether the machine logs as deploy wants: level, execution data and destination log groups."""

    def key(config: Optional[Mapping[str, Any]]) -> Tuple[str, bool, Tuple[str, ...]]:
        config = config or LOGGING_OFF
        groups = tuple(sorted(d.get("cloudWatchLogsLogGroup", {}).get("logGroupArn", "")
                              for d in config.get("destinations") or ()))
        return str(config.get("level") or "OFF"), bool(config.get("includeExecutionData")), groups

    return key(current) == key(desired)


def _logging(config: Mapping[str, Any]) -> Optional[Dict[str, Any]]:
    group = config.get("state_machine_log_group")
    if not group:
        return None
    arn = group if group.endswith(":*") else f"{group}:*"
    return {"level": "ERROR", "includeExecutionData": False, "destinations": [{"cloudWatchLogsLogGroup": {"logGroupArn": arn}}]}


def list_deployments(sfn: Any, prefix: str = "") -> List[Dict[str, Any]]:
    """State machines tagged as sfncompile flows (optionally with a name prefix)."""
    found = []
    with aws_errors("list state machines"):
        for page in sfn.get_paginator("list_state_machines").paginate():
            for machine in page.get("stateMachines", []):
                if prefix and not machine["name"].startswith(prefix):
                    continue
                tags = {t["key"]: t["value"] for t in sfn.list_tags_for_resource(resourceArn=machine["stateMachineArn"]).get("tags", [])}
                if FLOW_TAG in tags:
                    found.append({**machine, "flow": tags[FLOW_TAG], "tags": tags})
    return sorted(found, key=lambda m: m["name"])


def delete_state_machine(sfn: Any, arn: str) -> bool:
    with aws_errors("delete state machine"):
        if describe(sfn, arn) is None:
            return False
        sfn.delete_state_machine(stateMachineArn=arn)
    return True
