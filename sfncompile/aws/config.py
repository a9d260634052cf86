"""The AWS configuration file: where the infra stack's resources are.

Written by `sfncompile configure --stack NAME` from the stack's outputs and
validated with a JSON Schema on every read, so a hand-edited file fails early
with a message that says which key is wrong.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Literal, Mapping, Optional, overload

from ..exceptions import ConfigError

# config key -> CloudFormation output of the infra stack (docs/internals.md).
OUTPUT_KEYS: Dict[str, str] = {
    "bucket": "DatastoreBucketName",
    "prefix": "DatastorePrefix",
    "table": "MetadataTableName",
    "job_queue": "JobQueueArn",
    "job_definition": "JobDefinitionArn",
    "job_role_arn": "JobRoleArn",
    "execution_role_arn": "ExecutionRoleArn",
    "state_machine_role_arn": "StateMachineRoleArn",
    "scheduler_role_arn": "SchedulerRoleArn",
    "batch_log_group": "BatchLogGroupName",
    "state_machine_log_group": "StateMachineLogGroupArn",
    "image": "RuntimeImageUri",
    "state_machine_prefix": "StateMachinePrefix",
    "event_bus": "EventBusName",
    "trigger_role_boundary_arn": "TriggerRoleBoundaryArn",
}
# Keys no stack output sets: a user writes them by hand, and `configure` keeps them.
HAND_SET_KEYS = ("run", "architecture", "image_python", "endpoint_url")
# Outputs a stack may lack (older stacks): the features that need them say so when used.
OPTIONAL_OUTPUTS = ("state_machine_log_group", "event_bus", "trigger_role_boundary_arn")

_ARN = {"type": "string", "pattern": "^arn:aws[a-z-]*:"}
_NAME = {"type": "string", "minLength": 1}

SCHEMA: Dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "title": "sfncompile AWS configuration",
    "type": "object",
    "required": ["region", "bucket", "table", "job_queue", "job_definition", "state_machine_role_arn"],
    "properties": {
        "region": {"type": "string", "pattern": "^[a-z]{2}(-[a-z]+)+-\\d$"},
        "stack": _NAME,
        "bucket": {"type": "string", "pattern": "^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$"},
        "prefix": {"type": "string"},
        "table": _NAME,
        "job_queue": _NAME,
        "job_definition": _NAME,
        "job_role_arn": _ARN,
        "execution_role_arn": _ARN,
        "state_machine_role_arn": _ARN,
        "scheduler_role_arn": _ARN,
        "batch_log_group": _NAME,
        "state_machine_log_group": _ARN,
        "image": _NAME,
        "state_machine_prefix": {"type": "string", "pattern": "^[A-Za-z0-9_-]*$", "maxLength": 40},
        "event_bus": {"type": "string", "pattern": "^[A-Za-z0-9._-]{1,256}$"},
        "trigger_role_boundary_arn": _ARN,
        "endpoint_url": {"type": "string"},
        # Package environments: the Batch hosts' CPU and the runtime image's Python (default: the shipped Dockerfile's).
        "architecture": {"enum": ["x86_64", "arm64"]},
        "image_python": {"type": "string", "pattern": "^3\\.\\d{1,2}$"},
        # Defaults of `sfncompile run`/`resume` (set by hand): {"datastore": "s3"} stores every run on AWS.
        "run": {"type": "object", "properties": {"datastore": {"enum": ["local", "s3"]}},
                "additionalProperties": False},
    },
    "additionalProperties": False,
}

HOW_TO_CONFIGURE = (
    "deploy the infrastructure once (`cd infra && cdk deploy -c stage=dev`), then run "
    "`sfncompile configure --stack sfncompile-dev`"
)


def config_path() -> str:
    return os.environ.get("SFNCOMPILE_CONFIG") or os.path.join(os.path.expanduser("~"), ".sfncompile", "config.json")


def validate(config: Mapping[str, Any], source: str = "config") -> Dict[str, Any]:
    import jsonschema

    validator = jsonschema.Draft202012Validator(SCHEMA)
    errors = sorted(validator.iter_errors(dict(config)), key=lambda e: list(e.path))
    if errors:
        first = errors[0]
        where = ".".join(str(p) for p in first.path) or "(top level)"
        raise ConfigError(f"{source}: {where}: {first.message}", fix=HOW_TO_CONFIGURE)
    return dict(config)


@overload
def load_config(path: Optional[str] = None, *, required: Literal[True] = True) -> Dict[str, Any]: ...
@overload
def load_config(path: Optional[str] = None, *, required: bool) -> Optional[Dict[str, Any]]: ...


def load_config(path: Optional[str] = None, *, required: bool = True) -> Optional[Dict[str, Any]]:
    """The saved AWS configuration; without one, None if not ``required``, else a ConfigError."""
    path = path or config_path()
    if not os.path.exists(path):
        if not required:
            return None
        raise ConfigError(f"no AWS configuration at {path}", fix=HOW_TO_CONFIGURE)
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{path} is not valid JSON: {exc}", fix=HOW_TO_CONFIGURE) from None
    return validate(data, source=path)


def save_config(config: Mapping[str, Any], path: Optional[str] = None) -> str:
    path = path or config_path()
    data = validate(config)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = f"{path}.tmp{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as fh:
        json.dump(data, fh, indent=2, sort_keys=True)
        fh.write("\n")
    os.replace(tmp, path)
    return path


def from_stack_outputs(outputs: Mapping[str, str], *, stack: str, region: str) -> Dict[str, Any]:
    """Map a stack's outputs to config keys; a missing output is an error naming it."""
    missing = [out for key, out in OUTPUT_KEYS.items() if out not in outputs and key not in OPTIONAL_OUTPUTS]
    if missing:
        raise ConfigError(
            f"stack {stack} has no output(s) {', '.join(missing)}",
            fix="deploy the sfncompile infra stack from this version (`cd infra && cdk deploy`)",
        )
    config: Dict[str, Any] = {"region": region, "stack": stack}
    for key, out in OUTPUT_KEYS.items():
        if out in outputs:
            config[key] = outputs[out]
    return validate(config, source=f"stack {stack}")


def hand_set(path: Optional[str] = None) -> Dict[str, Any]:
    """The hand-set keys of the config file at ``path`` (none if it is missing or not JSON), so that
    re-reading a stack's outputs does not drop them."""
    try:
        with open(path or config_path(), encoding="utf-8") as fh:
            data = json.load(fh)
    except (OSError, ValueError):
        return {}
    return {key: data[key] for key in HAND_SET_KEYS if isinstance(data, dict) and key in data}


def run_datastore() -> str:
    """Where a local run stores its results when `--datastore` is not given: the config's
    ``run.datastore`` if there is a config, else ``local``."""
    config = load_config(required=False) if os.path.exists(config_path()) else None
    return ((config or {}).get("run") or {}).get("datastore") or "local"


def datastore_url(config: Mapping[str, Any]) -> str:
    prefix = (config.get("prefix") or "").strip("/")
    return f"s3://{config['bucket']}/{prefix}" if prefix else f"s3://{config['bucket']}"


def metadata_url(config: Mapping[str, Any]) -> str:
    return f"dynamodb:{config['table']}"


def stores(config: Mapping[str, Any]) -> Any:
    """The S3 datastore and DynamoDB metadata store this config names."""
    from ..storage.factory import open_stores

    return open_stores(datastore_url(config), metadata_url(config), region=config.get("region"))
