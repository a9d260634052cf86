"""`python flow.py ...`: a flow file that fails while Python runs it gets one line, not a traceback.

Run as a script, the flow file's module-level code (imports, constants, the class
body) runs before sfncompile's CLI exists, so a missing package or a NameError would
end in Python's traceback. ``import sfncompile`` (the flow's first line) installs an
excepthook for that case only: the script is a flow file (it defines a FlowSpec
subclass), the error is sfncompile's own or raised outside sfncompile (a bug of ours
keeps its traceback), and ``--debug`` was not given.
"""
from __future__ import annotations

import os
import sys
from types import TracebackType
from typing import Optional, Type

_PACKAGE = os.path.dirname(os.path.abspath(__file__)) + os.sep


def install_for_flow_script() -> None:
    """Install the hook when ``__main__`` is a script file (cheap: nothing is read until an error)."""
    main = sys.modules.get("__main__")
    path = getattr(main, "__file__", None)
    if not path or not path.endswith(".py") or getattr(main, "__spec__", None) is not None or "--debug" in sys.argv:
        return
    previous = sys.excepthook

    def hook(kind: Type[BaseException], exc: BaseException, tb: Optional[TracebackType]) -> None:
        text = one_line_error(exc, os.path.abspath(path))
        if text is None:
            previous(kind, exc, tb)
        else:
            print(text, file=sys.stderr)

    sys.excepthook = hook


def one_line_error(exc: BaseException, path: str) -> Optional[str]:
    """The message for a flow script's failure, or None to keep Python's traceback."""
    from .exceptions import SfnCompileError

    if not isinstance(exc, Exception) or not _defines_flow(path):
        return None
    if isinstance(exc, SfnCompileError):
        return f"{exc.headline}: {exc.render()}"
    if _raised_in_sfncompile(exc):
        return None
    from .graph.loader import import_error

    err = import_error(exc, path)
    return f"{err.headline}: {err.render()}"


def _defines_flow(path: str) -> bool:
    import ast

    try:
        with open(path, encoding="utf-8") as fh:
            tree = ast.parse(fh.read(), filename=path)
    except (OSError, SyntaxError, ValueError):
        return False
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            for base in node.bases:
                name = base.id if isinstance(base, ast.Name) else base.attr if isinstance(base, ast.Attribute) else ""
                if name == "FlowSpec":
                    return True
    return False


def _raised_in_sfncompile(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(_PACKAGE):
            return True
        tb = tb.tb_next
    return False
