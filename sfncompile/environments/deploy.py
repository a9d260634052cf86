"""Deploy's part: resolve each step's environment for the image and upload what is missing."""
from __future__ import annotations

from typing import Any, Callable, Collection, Dict, List, Mapping, Optional, Tuple

from .lock import IMAGE, resolve_flow
from .wheels import upload_environment


def deploy_environments(graph: Any, config: Mapping[str, Any], objects: Optional[Any],
                        say: Callable[[str], None], steps: Optional[Collection[str]] = None,
                        ) -> Tuple[Dict[str, str], List[str]]:
    """({step: environment id}, changes) of ``steps`` (default: all); ``objects`` None (dry run) resolves
    without uploading."""
    locks = resolve_flow(graph, (IMAGE,), config, steps)
    env_ids = {step: targets[IMAGE].env_id for step, targets in locks.items()}
    changes: List[str] = []
    if objects is None:
        return env_ids, changes
    done = set()
    for step, targets in locks.items():
        lock = targets[IMAGE]
        if lock.env_id in done:
            continue
        done.add(lock.env_id)
        uploaded = upload_environment(objects, lock, say)
        if uploaded is not None:
            changes.append(f"uploaded environment {lock.short_id} ({uploaded} new wheels, {len(lock.pins())} packages)")
        else:
            say(f"environment {lock.short_id}: unchanged")
    return env_ids, changes
