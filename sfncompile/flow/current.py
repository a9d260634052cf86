"""``current``: what a running step may ask about itself (set by the runtime)."""
from __future__ import annotations

from typing import Any, Dict, Optional, Tuple


class Current:
    """Read-only view of the running task. Outside a task every field is None."""

    _FIELDS = (
        "flow_name",
        "run_id",
        "step_name",
        "task_id",
        "retry_count",
        "namespace",
        "username",
        "is_production",
        "origin_run_id",
        "tags",
        "parameter_names",  # the flow's parameters by attribute name, as Metaflow's current.parameter_names
        "card",  # the step's CardCollection (sfncompile.cards): current.card.append(...)
        "project_name",  # @project: the project, the branch and <project>.<branch>.<Flow> (else None)
        "branch_name",
        "project_flow_name",
        "trigger",  # what started the run (@trigger / @trigger_on_finish), else None: .run, .event, .payload
    )

    def __init__(self) -> None:
        self._values: Dict[str, Any] = {}

    def _set(self, **values: Any) -> None:
        unknown = set(values) - set(self._FIELDS)
        if unknown:
            raise AttributeError(f"unknown current field(s): {sorted(unknown)}")
        self._values = dict(values)

    def _clear(self) -> None:
        self._values = {}

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        if name in self._FIELDS:
            return self._values.get(name)
        raise AttributeError(f"current has no field '{name}'; fields: {', '.join(self._FIELDS)}, pathspec")

    @property
    def pathspec(self) -> Optional[str]:
        v = self._values
        if not v.get("flow_name"):
            return None
        return f"{v['flow_name']}/{v['run_id']}/{v['step_name']}/{v['task_id']}"

    @property
    def is_running_flow(self) -> bool:
        return bool(self._values)

    def __repr__(self) -> str:
        return f"current({self.pathspec or 'not in a task'})"


current = Current()

__all__: Tuple[str, ...] = ("current", "Current")
