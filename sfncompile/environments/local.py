"""Local runs: make each environment of a flow ready before its steps run.

Resolving and building are imported only for a flow that declares an environment: every
`sfncompile run` asks :func:`has_environments`, and most flows have none.
"""
from __future__ import annotations

from typing import Callable, Collection, Dict, Optional


def prepare_local_environments(graph, say: Callable[[str], None],
                               steps: Optional[Collection[str]] = None) -> Dict[str, str]:
    """{step: interpreter of its built environment} for the steps (of ``steps``, if given) that have one
    (building what is missing)."""
    from .interpreters import local_interpreter
    from .lock import LOCAL, resolve_flow
    from .venv import build, env_python

    locks = resolve_flow(graph, (LOCAL,), steps=steps)
    by_env: Dict[str, list] = {}
    for step, targets in locks.items():
        by_env.setdefault(targets[LOCAL].env_id, []).append(step)
    pythons: Dict[str, str] = {}
    for steps in by_env.values():
        lock = locks[steps[0]][LOCAL]
        what = "step" + ("s " if len(steps) > 1 else " ") + ", ".join(steps)
        interpreter = local_interpreter(lock.spec.python, what)
        env = build(lock, interpreter, ["sync"], say, what)
        for step in steps:
            pythons[step] = env_python(env)
    return pythons


def has_environments(graph) -> bool:
    """Cheap test (no resolution): does any step declare an environment?"""
    from .spec import flow_environments

    return any(spec is not None for spec in flow_environments(graph).values())


def maybe_prepare(graph, say: Callable[[str], None], steps: Optional[Collection[str]] = None,
                  ) -> Optional[Dict[str, str]]:
    return prepare_local_environments(graph, say, steps) if has_environments(graph) else None
