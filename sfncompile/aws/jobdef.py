"""Batch job definitions for a deployed flow: the stack's base definition plus the flow's settings.

A new revision is registered only when the container properties differ from the
latest active one, so redeploying an unchanged flow registers nothing.
"""
from __future__ import annotations

from typing import Any, Dict, Mapping, Optional, Tuple

from ..compiler.jobparams import JOB_COMMAND, JOB_PARAMETER_DEFAULTS
from .errors import aws_errors

# Container properties we copy from the base job definition (the rest are defaults).
_COPIED = (
    "image", "command", "jobRoleArn", "executionRoleArn", "resourceRequirements", "environment", "user",
    "logConfiguration", "networkConfiguration", "fargatePlatformConfiguration", "runtimePlatform",
    "readonlyRootFilesystem", "linuxParameters", "ephemeralStorage", "volumes", "mountPoints",
)


def _latest_active(batch: Any, name: str) -> Optional[Dict[str, Any]]:
    with aws_errors(f"describe job definition {name}"):
        found = batch.describe_job_definitions(jobDefinitionName=name, status="ACTIVE").get("jobDefinitions", [])
    return max(found, key=lambda d: d["revision"]) if found else None


def base_definition(batch: Any, ref: str) -> Dict[str, Any]:
    """The stack's base job definition, by ARN or name[:revision]."""
    with aws_errors(f"describe base job definition {ref}"):
        if ref.startswith("arn:"):
            found = batch.describe_job_definitions(jobDefinitions=[ref]).get("jobDefinitions", [])
        else:
            name, _, revision = ref.partition(":")
            found = batch.describe_job_definitions(jobDefinitionName=name, status="ACTIVE").get("jobDefinitions", [])
            if revision:
                found = [d for d in found if str(d["revision"]) == revision]
    if not found:
        from ..exceptions import ConfigError

        raise ConfigError(
            f"the base job definition {ref} does not exist",
            fix="redeploy the infra (`cdk deploy`) and rerun `sfncompile configure --stack ...`",
        )
    return max(found, key=lambda d: d["revision"])


def _normalise(props: Mapping[str, Any]) -> Dict[str, Any]:
    out = {k: props[k] for k in _COPIED if props.get(k) not in (None, [], {})}
    if "environment" in out:
        out["environment"] = sorted(out["environment"], key=lambda e: e["name"])
    if "resourceRequirements" in out:
        out["resourceRequirements"] = sorted(out["resourceRequirements"], key=lambda e: e["type"])
    return out


def flow_container_properties(
    base: Mapping[str, Any], environment: Mapping[str, str], image: Optional[str] = None
) -> Dict[str, Any]:
    props = _normalise(base.get("containerProperties", {}))
    # The command the compiled Tasks fill, whatever an older infra's base definition has.
    props["command"] = list(JOB_COMMAND)
    env = {e["name"]: e["value"] for e in props.get("environment", [])}
    env.update(environment)
    props["environment"] = [{"name": k, "value": v} for k, v in sorted(env.items())]
    if image:
        props["image"] = image
    return props


def ensure_job_definition(
    batch: Any, name: str, base: Mapping[str, Any], properties: Dict[str, Any], tags: Mapping[str, str]
) -> Tuple[str, bool]:
    """(ARN, registered?) of a job definition with exactly these properties.

    Its ``parameters`` always hold the defaults the compiled Tasks rely on (task id
    ``t`` and attempt ``a``, which they leave out when they equal them), whatever the
    base definition has: a stack deployed before those defaults still gets them (and
    :func:`flow_container_properties` gives it the current command).
    """
    parameters = {**(base.get("parameters") or {}), **JOB_PARAMETER_DEFAULTS}
    latest = _latest_active(batch, name)
    if (
        latest is not None
        and _normalise(latest.get("containerProperties", {})) == properties
        and (latest.get("parameters") or {}) == parameters
    ):
        return latest["jobDefinitionArn"], False
    request: Dict[str, Any] = {
        "jobDefinitionName": name,
        "type": "container",
        "containerProperties": properties,
        "parameters": parameters,
        "tags": dict(tags),
        "propagateTags": True,
    }
    for key in ("platformCapabilities", "retryStrategy", "timeout"):
        if base.get(key):
            request[key] = base[key]
    with aws_errors(f"register job definition {name}"):
        response = batch.register_job_definition(**request)
    return response["jobDefinitionArn"], True


def job_environment(
    *, flow: str, flow_file: str, code_url: str, code_sha: str, datastore: str, metadata: str,
    production: bool = True,
) -> Dict[str, str]:
    """The static settings every task of this deployment reads (docs/internals.md); ``production``
    False for a laptop-orchestrated run's Batch jobs."""
    return {
        "SFNCOMPILE_FLOW": flow,
        "SFNCOMPILE_FLOW_FILE": flow_file,
        "SFNCOMPILE_CODE_URL": code_url,
        "SFNCOMPILE_CODE_SHA256": code_sha,
        "SFNCOMPILE_DATASTORE": datastore,
        "SFNCOMPILE_METADATA": metadata,
        "SFNCOMPILE_PRODUCTION": "1" if production else "0",
    }
