"""What ``sfncompile check`` says about a flow's environments (and ``--environments``: the locks)."""
from __future__ import annotations

from typing import Any, Dict, List, Mapping, Optional

from .lock import IMAGE, LOCAL, Lock, resolve_flow
from .spec import REQUIREMENTS_FILE, base_environment


def describe(graph: Any, config: Optional[Mapping[str, Any]] = None, *, locks: bool = False) -> List[str]:
    """Lines for ``check``: where the base comes from, then each distinct environment; [] without any."""
    resolved = resolve_flow(graph, (LOCAL, IMAGE), config)
    if not resolved:
        return []
    lines: List[str] = []
    base = base_environment(graph)
    if base is not None and base.origin.startswith(REQUIREMENTS_FILE):
        lines.append(f"base environment: {base.origin} (no @pypi_base)")
    by_env: Dict[str, List[str]] = {}
    first: Dict[str, Lock] = {}
    for step, targets in resolved.items():
        lock = targets[LOCAL]
        by_env.setdefault(lock.env_id, []).append(step)
        first.setdefault(lock.env_id, lock)
    for env_id, steps in by_env.items():
        local = first[env_id]
        image = resolved[steps[0]][IMAGE]
        lines.append(
            f"environment {local.short_id} (image {image.short_id}): {', '.join(local.spec.requirements) or 'no packages'}; "
            f"Python {local.target.python} (image {image.target.python}); {len(local.pins())} locked; "
            f"step{'s' if len(steps) > 1 else ''} {', '.join(steps)}"
        )
        if locks:
            for lock in (local, image):
                lines.append(f"--- lock {lock.env_id} ({lock.target.name})")
                lines.extend(lock.text.rstrip("\n").splitlines())
    return lines
