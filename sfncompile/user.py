"""Who is running: the username and default namespace recorded on runs (one rule for every layer)."""
from __future__ import annotations

import os


def default_username() -> str:
    """``SFNCOMPILE_USERNAME``, else the login name, else ``unknown``."""
    name = os.environ.get("SFNCOMPILE_USERNAME") or os.environ.get("USER") or os.environ.get("USERNAME")
    if not name:
        try:
            import getpass

            name = getpass.getuser()
        except Exception:  # noqa: BLE001 - no login name in some containers
            name = "unknown"
    return name


def default_namespace() -> str:
    """``SFNCOMPILE_NAMESPACE`` if set, else ``user:<username>``."""
    return os.environ.get("SFNCOMPILE_NAMESPACE") or f"user:{default_username()}"
