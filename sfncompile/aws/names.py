"""Names of a deployment's AWS resources, each within its service's length and character rules.

A project deployment ``<project>.<branch>.<Flow>`` (``current.project_flow_name``) is the
state machine ``<prefix><project>-<branch>-<Flow>`` with every '.' written '-': execution
logging to CloudWatch works only for machine names of letters, digits, '-' and '_'
(https://docs.aws.amazon.com/step-functions/latest/apireference/API_CreateStateMachine.html).
Project names, branch parts and flow classes never contain '-', so the mapping is one to
one, and no project name equals a plain flow's ``<prefix><Flow>``. The stage prefix stays
first because IAM scopes permissions to it. A name past a limit keeps its start and
ends with a deterministic short hash of the whole name (``compiler.names.shorten``), so
the same deployment always gets the same name and two long names that share a start
still differ.

Limits: Step Functions state machine names 80 characters (same page);
Batch job definition names 128 letters, digits, '-' and '_'
(https://docs.aws.amazon.com/batch/latest/APIReference/API_RegisterJobDefinition.html);
EventBridge rule names 64 of ``[.-_A-Za-z0-9]``
(https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutRule.html);
IAM role names 64 of ``[\\w+=,.@-]`` (https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html);
EventBridge Scheduler schedule names 64 of ``[0-9a-zA-Z-_.]``
(https://docs.aws.amazon.com/scheduler/latest/APIReference/API_CreateSchedule.html): a state
machine name may have 80, so a schedule is named after its deployment only up to 64.
"""
from __future__ import annotations

import hashlib
import re
from typing import Any, Mapping, Optional

from ..compiler.names import MAX_NAME_LENGTH
from ..compiler.names import shorten as fit
from ..flow.project import ProjectInfo

STATE_MACHINE_LIMIT = MAX_NAME_LENGTH
JOB_DEFINITION_LIMIT = 128
RULE_LIMIT = 64
ROLE_LIMIT = 64
SCHEDULE_LIMIT = 64
HASH_LENGTH = 8


def short_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:HASH_LENGTH]


def project_deployment_name(config: Mapping[str, Any], info: ProjectInfo) -> str:
    """``<prefix><project>-<branch>-<Flow>`` ('.' as '-'), shortened with a hash past Step Functions' 80 characters."""
    return fit(f"{config.get('state_machine_prefix', '')}{info.flow_name.replace('.', '-')}", STATE_MACHINE_LIMIT)


def job_definition_name(deployment: str) -> str:
    """Batch allows letters, digits, '-' and '_' in job definition names (a ``--name`` may hold more)."""
    return fit(re.sub(r"[^A-Za-z0-9_-]", "_", deployment), JOB_DEFINITION_LIMIT)


def schedule_name(deployment: str) -> str:
    """The deployment's EventBridge Scheduler schedule: its name, shortened with a hash past 64 characters."""
    return fit(deployment, SCHEDULE_LIMIT)


def rule_prefix(deployment: str) -> str:
    """Every EventBridge rule of one deployment starts with this (and no other deployment's does)."""
    return f"{fit(deployment, RULE_LIMIT - HASH_LENGTH - 6)}.{short_hash(deployment)}."


def rule_name(deployment: str, kind: str, index: int) -> str:
    """``<prefix>e0`` for the first @trigger event, ``<prefix>f0`` for the first @trigger_on_finish flow."""
    return f"{rule_prefix(deployment)}{kind}{index}"


def trigger_role_name(deployment: str) -> str:
    """The per-deployment role EventBridge assumes to start exactly this deployment's state machine."""
    return f"{fit(deployment, ROLE_LIMIT - HASH_LENGTH - 10)}.{short_hash(deployment)}.trigger"


def choose_deployment_name(config: Mapping[str, Any], flow: str, info: Optional[ProjectInfo],
                           name: Optional[str]) -> str:
    """--name when given, else the project deployment name, else ``<prefix><Flow>``."""
    from .statemachine import deployment_name

    if name is None and info is not None:
        return project_deployment_name(config, info)
    return deployment_name(config, flow, name)
