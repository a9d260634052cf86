"""Shared output helpers for commands: ``--json``."""
from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Callable

import click

json_option: Callable[[Callable[..., Any]], Callable[..., Any]] = click.option(
    "--json", "as_json", is_flag=True, help="Print JSON (one document) instead of text, for scripts."
)


def _default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple)):
        return sorted(value) if isinstance(value, (set, frozenset)) else list(value)
    return str(value)


def emit_json(document: Any) -> None:
    """One JSON document on stdout (datetimes as ISO-8601, sets sorted)."""
    click.echo(json.dumps(document, indent=2, default=_default, sort_keys=False))

