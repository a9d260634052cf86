"""The `sfncompile` command: thin click commands over the layers.

Each command group lives in its own module and imports its layer lazily, so
`sfncompile --help` and `sfncompile check` stay fast.
"""
from __future__ import annotations

from typing import Any

from .main import main

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    """``cli``, the click group, is built on first use: a Batch task's command runs without click."""
    if name == "cli":
        from .group import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
