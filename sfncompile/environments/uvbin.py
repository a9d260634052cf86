"""Run the ``uv`` binary that the ``uv`` PyPI package ships (a dependency of sfncompile)."""
from __future__ import annotations

import functools
import os
import subprocess
from typing import Dict, List, Optional, Sequence

from ..exceptions import EnvironmentSpecError


@functools.lru_cache(maxsize=1)
def uv_binary() -> str:
    try:
        from uv import find_uv_bin
    except ImportError:  # pragma: no cover - uv is a core dependency
        raise EnvironmentSpecError(
            "the uv package is not installed", fix="pip install uv (sfncompile depends on it)"
        ) from None
    return find_uv_bin()


def run_uv(args: Sequence[str], *, cwd: Optional[str] = None, env: Optional[Dict[str, str]] = None,
           timeout: float = 600) -> subprocess.CompletedProcess:
    """Run ``uv ARGS``; the caller turns a failure into a message for people."""
    full_env = dict(os.environ)
    full_env.setdefault("UV_NO_PROGRESS", "1")
    full_env.pop("VIRTUAL_ENV", None)  # uv must act on the --python we pass, not an activated venv
    full_env.update(env or {})
    command: List[str] = [uv_binary(), *args]
    return subprocess.run(command, cwd=cwd, env=full_env, capture_output=True, text=True, timeout=timeout)


def uv_reason(stderr: str) -> str:
    """uv's own explanation, on one line (its 'cause:' when it gives one)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("cause:") or line.startswith("╰─▶") or line.startswith("Caused by:"):
            return line.split(":", 1)[-1].strip() if line.startswith(("cause:", "Caused by:")) else line[3:].strip()
    errors = [line for line in lines if line.startswith("error:")]
    return (errors[-1][6:].strip() if errors else (lines[-1] if lines else "uv failed"))
