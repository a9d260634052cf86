"""Load a flow class from a file without running its ``if __name__ == "__main__"`` block."""
from __future__ import annotations

import importlib.util
import os
import sys
from typing import Optional, Type

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
        raise FlowDefinitionError(f"syntax error: {exc.msg}", file=exc.filename, line=exc.lineno) from None
    except Exception:
        sys.modules.pop(name, None)
        raise
    return module


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
