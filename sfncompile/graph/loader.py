"""Load a flow class from a file without running its ``if __name__ == "__main__"`` block."""
from __future__ import annotations

import importlib.util
import os
import re
import sys
from typing import Optional, Tuple, Type

from ..exceptions import FlowDefinitionError


def import_flow_module(path: str, module_name: Optional[str] = None):
    """Import the file as a module (its directory goes first on sys.path, as `python flow.py` does)."""
    path = os.path.abspath(path)
    if not os.path.isfile(path):
        raise FlowDefinitionError(f"no flow file at {path}", fix="pass the path of a .py file that defines a FlowSpec")
    name = module_name or "_sfncompile_flow_" + os.path.splitext(os.path.basename(path))[0]
    if name in sys.modules and getattr(sys.modules[name], "__file__", None) == path:
        return sys.modules[name]
    directory = os.path.dirname(path)
    if directory not in sys.path:
        sys.path.insert(0, directory)
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        raise FlowDefinitionError(f"cannot import {path}", fix="flow files must be Python source files")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    try:
        spec.loader.exec_module(module)
    except FlowDefinitionError:
        sys.modules.pop(name, None)
        raise
    except SyntaxError as exc:
        sys.modules.pop(name, None)
        raise FlowDefinitionError(
            f"syntax error: {exc.msg}", file=exc.filename, line=exc.lineno,
            fix="correct the line shown (`--debug` prints the traceback)",
        ) from exc
    except Exception as exc:
        sys.modules.pop(name, None)
        raise import_error(exc, path) from exc
    return module


def import_error(exc: BaseException, path: str) -> FlowDefinitionError:
    """One line for a flow file whose import raised: where (file:line in the user's code), what, and the fix."""
    file, line = _user_frame(exc, os.path.dirname(path))
    flow = os.path.basename(path)
    debug = " (`--debug` prints the traceback)"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        return FlowDefinitionError(
            f"importing {flow} failed: no module named '{exc.name}'", file=file, line=line,
            fix=f"install the package that provides '{top}' in this Python environment "
            f"({os.path.basename(sys.executable)} -m pip install {top}), or correct the name" + debug,
        )
    if isinstance(exc, NameError):
        # NameError.name exists from Python 3.10; before, the name is only in the message.
        named = re.search(r"name '([^']+)' is not defined", str(exc))
        missing = getattr(exc, "name", None) or (named.group(1) if named else str(exc))
        return FlowDefinitionError(
            f"importing {flow} failed: {exc}", file=file, line=line,
            fix=f"define or import '{missing}' before this line" + debug,
        )
    return FlowDefinitionError(
        f"importing {flow} failed: {type(exc).__name__}: {exc}", file=file, line=line,
        fix="fix the code at this line; it runs when the flow file is imported" + debug,
    )


def _user_frame(exc: BaseException, user_dir: str) -> Tuple[Optional[str], Optional[int]]:
    """The innermost traceback frame in the flow's directory (else the innermost real file)."""
    best: Tuple[Optional[str], Optional[int]] = (None, None)
    mine: Tuple[Optional[str], Optional[int]] = (None, None)
    tb = exc.__traceback__
    user_dir = os.path.abspath(user_dir) + os.sep
    while tb is not None:
        filename = tb.tb_frame.f_code.co_filename
        if not filename.startswith("<"):
            best = (filename, tb.tb_lineno)
            if os.path.abspath(filename).startswith(user_dir):
                mine = best
        tb = tb.tb_next
    return mine if mine[0] else best


def find_flow_class(module, class_name: Optional[str] = None, *, path: str = "") -> Type:
    from ..flow.flowspec import FlowSpec

    candidates = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, FlowSpec) and obj is not FlowSpec
        and obj.__module__ == module.__name__
    ]
    if class_name:
        for obj in candidates:
            if obj.__name__ == class_name:
                return obj
        raise FlowDefinitionError(
            f"no flow class named {class_name} in {path or module.__name__}",
            fix=f"flows defined there: {', '.join(c.__name__ for c in candidates) or 'none'}",
        )
    if not candidates:
        raise FlowDefinitionError(
            "no FlowSpec subclass found",
            file=path or None,
            fix="define `class MyFlow(FlowSpec):` with @step methods in this file",
        )
    if len(candidates) > 1:
        # A flow file may subclass another flow defined in it; take the most derived one(s).
        leaves = [c for c in candidates if not any(o is not c and issubclass(o, c) for o in candidates)]
        if len(leaves) == 1:
            return leaves[0]
        raise FlowDefinitionError(
            f"{path or module.__name__} defines several flows: {', '.join(c.__name__ for c in leaves)}",
            fix="name one with --flow ClassName",
        )
    return candidates[0]


def load_flow_class(path: str, class_name: Optional[str] = None) -> Type:
    return find_flow_class(import_flow_module(path), class_name, path=path)
