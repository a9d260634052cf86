"""Who is running: the username and default namespace recorded on runs (one rule for every layer)."""
from __future__ import annotations

import os
from typing import Dict

USERNAME_ENV = "SFNCOMPILE_USERNAME"
NAMESPACE_ENV = "SFNCOMPILE_NAMESPACE"


def default_username() -> str:
    """``SFNCOMPILE_USERNAME``, else the login name, else ``unknown``."""
    name = os.environ.get(USERNAME_ENV) or os.environ.get("USER") or os.environ.get("USERNAME")
    if not name:
        try:
            import getpass

            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            name = "unknown"
    return name


def default_namespace() -> str:
    """``SFNCOMPILE_NAMESPACE`` if set, else ``user:<username>``."""
    return os.environ.get(NAMESPACE_ENV) or f"user:{default_username()}"


def identity_environment(username: str, namespace: str) -> Dict[str, str]:
    """The variables that make a task record its run as ``username`` in ``namespace``: a hybrid
    run's jobs carry the laptop user's, a deployment's job definition its deployer's."""
    return {USERNAME_ENV: username, NAMESPACE_ENV: namespace}

