"""`python flow.py <command> ...`: the flow file is its own CLI (the Metaflow habit)."""
from __future__ import annotations

import sys
from typing import List, Optional

# Commands that take the flow file as their first argument.
FILE_COMMANDS = ("run", "resume", "check", "show", "graph", "compile", "deploy")


def argv_for_flow(flow_file: str, class_name: str, argv: List[str]) -> List[str]:
    if not argv or argv[0] in ("-h", "--help"):
        return ["--help"]
    command, rest = argv[0], argv[1:]
    if command not in FILE_COMMANDS:
        raise SystemExit(
            f"error: unknown command '{command}' for a flow file; use one of: {', '.join(FILE_COMMANDS)}"
        )
    return [command, flow_file, "--flow", class_name, *rest]


def main_for_flow_class(flow_cls: type, argv: Optional[List[str]] = None) -> None:
    import inspect

    from .main import main

    flow_file = inspect.getfile(flow_cls)
    main(argv_for_flow(flow_file, flow_cls.__name__, sys.argv[1:] if argv is None else argv))
