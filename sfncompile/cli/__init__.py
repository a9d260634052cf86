"""The `sfncompile` command: thin click commands over the layers.

Each command group lives in its own module and imports its layer lazily, so
`sfncompile --help` and `sfncompile check` stay fast.
"""
from __future__ import annotations

from .main import cli, main

__all__ = ["cli", "main"]
