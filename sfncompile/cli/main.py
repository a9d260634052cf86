"""The `sfncompile` command's entry point: a Batch task's command without click, any other through it.

A task pays for every import before its step's code runs, so the entry point imports
neither click nor the command group when ``task_run.parse`` reads a well-formed
``sfncompile task ...``; everything else (the click group is in ``group``) is unchanged.
"""
from __future__ import annotations

import gc
import sys
from typing import Any, List, Optional

from ..exceptions import SfnCompileError


def main(args: Optional[List[str]] = None) -> None:
    """The `sfncompile` command (``args``: the words after it; default: ``sys.argv[1:]``)."""
    try:
        words = sys.argv[1:] if args is None else list(args)
        if words[:1] == ["task"]:
            from .task_run import parse, run

            parsed = parse(words[1:])
            if parsed is not None:
                _run_as_click_would(lambda: run(**parsed))  # type: ignore[arg-type]
                return
        from .group import cli

        cli.main(args=args, prog_name="sfncompile", standalone_mode=True)
    finally:
        ready_to_exit()


def error_line(exc: SfnCompileError) -> str:
    """sfncompile's own error, as one line for people (the stack only with --debug)."""
    return f"{exc.headline}: {exc.render()}"


def _run_as_click_would(command: Any) -> None:
    """``command()`` with the exits the click group gives a command: its errors as one line
    and exit 1; an interrupt prints "Aborted!" and exits 1."""
    try:
        command()
    except SfnCompileError as exc:
        print(error_line(exc), file=sys.stderr, flush=True)
        sys.exit(1)
    except (EOFError, KeyboardInterrupt):
        print("\nAborted!", file=sys.stderr, flush=True)
        sys.exit(1)


def ready_to_exit() -> None:
    """Close the stores the command opened, then freeze the collector's objects: the process ends.

    Why: the interpreter's shutdown collects garbage over every object the command's imports
    made (0.1-0.2 s after a `run`, longer than a small task). Frozen objects are never
    collected, so the SQLite metadata store is closed here first (its connection checkpoints
    the write-ahead log), not left to the shutdown's collection."""
    factory = sys.modules.get("sfncompile.storage.factory")
    if factory is not None:
        factory.reset_stores()
    gc.freeze()


def __getattr__(name: str) -> Any:
    """``cli``, the click group, is built on first use (a task's command never needs it)."""
    if name == "cli":
        from .group import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":  # pragma: no cover
    main(sys.argv[1:])
