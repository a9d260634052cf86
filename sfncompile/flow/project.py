"""@project: several people deploy the same flow without overwriting each other.

``@project(name="churn")`` on a flow class records the project; where a run or a
deployment belongs is its *branch*, chosen when it starts (as Metaflow does):

* ``user.<username>`` by default (each person's own);
* ``test.<B>`` with ``--branch B`` (a named, shared test branch);
* ``prod`` with ``--production`` (``prod.<B>`` with both).

A deployment is then named ``<project>.<branch>.<Flow>`` and each branch has its own
state machine, schedule, triggers and namespace. This module only records the
decorator and computes names; deploy and the runtime give them meaning.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Mapping, Optional

from ..exceptions import FlowDefinitionError
from .decorators import FLOW_DECORATORS_ATTR, _caller, _check_args

# Metaflow's rule for project and branch names: lower-case letters, digits, '_' (and '.' between branch parts).
_PROJECT_NAME = re.compile(r"^[a-z0-9_]+$")
_BRANCH_PART = re.compile(r"^[a-z0-9_]+$")
PRODUCTION_BRANCH = "prod"


def project(cls: Any = None, *, name: Optional[str] = None, **unknown: Any) -> Any:
    """@project(name="churn"): deployments of this flow are ``churn.<branch>.<Flow>``, one per branch."""
    file, line = _caller()
    _check_args("project", ("name",), unknown, file, line)
    if not isinstance(name, str) or not _PROJECT_NAME.match(name):
        raise FlowDefinitionError(
            f"@project(name={name!r}): a project name is lower-case letters, digits and '_'",
            file=file, line=line, fix='write @project(name="churn")',
        )

    def apply(flow_cls: Any) -> Any:
        if not isinstance(flow_cls, type):
            raise FlowDefinitionError(
                "@project is a flow decorator", file=file, line=line, fix="put @project above `class ...(FlowSpec)`"
            )
        decorators = dict(getattr(flow_cls, FLOW_DECORATORS_ATTR, {}))
        decorators["project"] = {"name": name, "file": file, "line": line}
        setattr(flow_cls, FLOW_DECORATORS_ATTR, decorators)
        return flow_cls

    return apply(cls) if cls is not None else apply


def _username_part(username: str) -> str:
    """A login name as a branch part: lower case, anything but [a-z0-9_] as '_'."""
    return re.sub(r"[^a-z0-9_]", "_", username.lower()) or "unknown"


def branch_name(username: str, branch: Optional[str] = None, production: bool = False) -> str:
    """``user.<username>``, ``test.<branch>``, ``prod`` or ``prod.<branch>`` (Metaflow's branch names)."""
    if branch is not None and not all(_BRANCH_PART.match(p) for p in branch.split(".")):
        raise ValueError(f"branch {branch!r}: use lower-case letters, digits, '_' (and '.' between parts)")
    if production:
        return f"{PRODUCTION_BRANCH}.{branch}" if branch else PRODUCTION_BRANCH
    if branch:
        return f"test.{branch}"
    return f"user.{_username_part(username)}"


def is_production_branch(branch: str) -> bool:
    return branch == PRODUCTION_BRANCH or branch.startswith(PRODUCTION_BRANCH + ".")


@dataclass(frozen=True)
class ProjectInfo:
    """Where a run or deployment belongs: its project and branch (what ``current`` reports)."""

    project: str
    branch: str
    flow: str

    @property
    def flow_name(self) -> str:
        """``<project>.<branch>.<Flow>``: Metaflow's ``current.project_flow_name``."""
        return f"{self.project}.{self.branch}.{self.flow}"

    @property
    def is_production(self) -> bool:
        return is_production_branch(self.branch)

    @property
    def tags(self) -> tuple:
        """The system tags Metaflow writes for a project run: ``project:<p>``, ``project_branch:<b>``."""
        return (f"project:{self.project}", f"project_branch:{self.branch}")


def project_of(flow_decorators: Mapping[str, Any]) -> Optional[str]:
    """The flow's project name, or None without @project."""
    settings = flow_decorators.get("project")
    return settings["name"] if settings else None


def project_info(flow: str, flow_decorators: Mapping[str, Any], username: str,
                 branch: Optional[str] = None, production: bool = False) -> Optional[ProjectInfo]:
    """The project and branch a run/deployment of ``flow`` gets, or None when the flow has no @project."""
    name = project_of(flow_decorators)
    if name is None:
        if branch is not None or production:
            raise FlowDefinitionError(
                f"--branch and --production choose a branch of a @project flow; {flow} has no @project",
                fix='add @project(name="...") above the flow class, or drop --branch/--production',
            )
        return None
    try:
        chosen = branch_name(username, branch, production)
    except ValueError as exc:
        raise FlowDefinitionError(str(exc), fix="pass --branch with a name such as `staging` or `exp_2`") from None
    return ProjectInfo(project=name, branch=chosen, flow=flow)
