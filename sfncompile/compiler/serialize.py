"""JSON text of a definition: compact and canonical for deploys and hashing, pretty for files.

Key order is the builder's insertion order (deterministic, and it reads top-down like
the flow), never sorted; non-ASCII step names stay readable (UTF-8).
"""
from __future__ import annotations

import json
from typing import Any, Mapping


def to_json(definition: Mapping[str, Any]) -> str:
    """The canonical compact form: same flow and settings, same bytes."""
    return json.dumps(definition, sort_keys=False, separators=(",", ":"), ensure_ascii=False)


def to_pretty_json(definition: Mapping[str, Any]) -> str:
    """Indented, with a final newline (for files and stdout)."""
    return json.dumps(definition, sort_keys=False, indent=2, ensure_ascii=False) + "\n"
