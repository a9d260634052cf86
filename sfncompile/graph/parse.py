"""Static analysis of step bodies: what each step's ``self.next`` says, from the AST.

Step bodies are never executed. Each function is parsed from its file's source
(each file parsed once), and every mistake is reported with file:line and step.
"""
from __future__ import annotations

import ast
import linecache
import os
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from ..exceptions import FlowDefinitionError


@dataclass
class ParsedStep:
    """What the AST says of one step method: its transition as written and the attributes it assigns."""

    name: str
    file: str
    line: int
    doc: Optional[str]
    takes_inputs: bool
    # The transition, as written.
    targets: Tuple[str, ...] = ()
    foreach: Optional[str] = None
    condition: Optional[str] = None
    cases: Tuple[Tuple[str, str], ...] = ()  # (case value, target) in written order
    next_line: int = 0
    has_next: bool = False
    assigned: Tuple[Tuple[str, int], ...] = ()  # self.X = ... (name, line), outside a try catching AttributeError
    assigned_anywhere: Tuple[Tuple[str, int], ...] = ()  # every self.X = ..., guarded by a try or not
    decorators: Dict[str, dict] = field(default_factory=dict)


_TREE_CACHE: Dict[Tuple[str, int], ast.Module] = {}


def _file_key(path: str) -> Tuple[str, int]:
    """Cache key that changes when the file does (a long-lived process may see edits)."""
    try:
        return path, os.stat(path).st_mtime_ns
    except OSError:
        return path, 0


def parse_file(path: str) -> ast.Module:
    key = _file_key(path)
    tree = _TREE_CACHE.get(key)
    if tree is None:
        source = "".join(linecache.getlines(path)) if key[1] == 0 else ""
        if not source:
            with open(path, encoding="utf-8") as fh:
                source = fh.read()
        tree = ast.parse(source, filename=path)
        _TREE_CACHE[key] = tree
    return tree


_FUNC_INDEX: Dict[Tuple[str, int], Dict[str, List[Tuple[str, ast.FunctionDef]]]] = {}


def _functions(path: str) -> Dict[str, List[Tuple[str, ast.FunctionDef]]]:
    """Methods of every class in a file, by name: (class name, FunctionDef). Built once per file."""
    key = _file_key(path)
    index = _FUNC_INDEX.get(key)
    if index is None:
        index = {}
        for node in ast.walk(parse_file(path)):
            if isinstance(node, ast.ClassDef):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                        index.setdefault(item.name, []).append((node.name, item))  # type: ignore[arg-type]
        _FUNC_INDEX[key] = index
    return index


def find_function(path: str, class_name: str, func_name: str, first_line: int) -> ast.FunctionDef:
    """The FunctionDef of a method, located by its code object's first line."""
    best = None
    for owner, item in _functions(path).get(func_name, []):
        start = min([item.lineno] + [d.lineno for d in item.decorator_list])
        if start <= first_line <= item.lineno:
            return item
        if owner == class_name and best is None:
            best = item
    if best is None:
        raise FlowDefinitionError(
            f"step '{func_name}' is not a `def` in the body of flow class {class_name}",
            file=path,
            line=first_line,
            step=func_name,
            fix=f"write `@step` directly above `def {func_name}(self):` inside the class",
        )
    return best


def _is_self_next(node: ast.AST) -> bool:
    return (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr == "next"
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id == "self"
    )


def parse_step(func: ast.FunctionDef, path: str, decorators: Dict[str, dict]) -> ParsedStep:
    name = func.name
    if isinstance(func, ast.AsyncFunctionDef):
        raise FlowDefinitionError(
            f"step '{name}' is an `async def`",
            file=path,
            line=func.lineno,
            step=name,
            fix="steps are plain functions: `def name(self):` (run async code inside with asyncio.run(...))",
        )
    args = func.args
    positional = args.posonlyargs + args.args
    takes_inputs = len(positional) >= 2
    if len(positional) > 2 or args.vararg or args.kwarg or args.kwonlyargs:
        raise FlowDefinitionError(
            f"step '{name}' has an unsupported signature",
            file=path,
            line=func.lineno,
            step=name,
            fix="a step is `def name(self):`, or `def name(self, inputs):` for a join",
        )
    step = ParsedStep(
        name=name,
        file=path,
        line=func.lineno,
        doc=ast.get_docstring(func),
        takes_inputs=takes_inputs,
        decorators=decorators,
    )
    next_calls: List[ast.Call] = [node for node in ast.walk(func) if _is_self_next(node)]  # type: ignore[misc]
    step.assigned = tuple(sorted(_self_assignments(func).items(), key=lambda kv: kv[1]))
    step.assigned_anywhere = tuple(sorted(_self_assignments(func, honour_try=False).items(), key=lambda kv: kv[1]))
    if not next_calls:
        return step
    next_calls.sort(key=lambda c: (c.lineno, c.col_offset))
    if len(next_calls) > 1:
        lines = ", ".join(str(c.lineno) for c in next_calls)
        raise FlowDefinitionError(
            f"step '{name}' calls self.next more than once (lines {lines})",
            file=path,
            line=next_calls[1].lineno,
            step=name,
            fix="call self.next exactly once, as the last statement; "
            "to choose between steps use a switch: self.next({'a': self.a, 'b': self.b}, condition='attr')",
        )
    call = next_calls[0]
    last = func.body[-1]
    top_level = any(isinstance(s, ast.Expr) and s.value is call for s in func.body)
    if not top_level:
        raise FlowDefinitionError(
            f"self.next in step '{name}' is inside a block (if/for/with/try)",
            file=path,
            line=call.lineno,
            step=name,
            fix="make self.next the last statement of the step, outside any block; "
            "for a conditional transition use a switch: self.next({...}, condition='attr')",
        )
    if not (isinstance(last, ast.Expr) and last.value is call):
        raise FlowDefinitionError(
            f"step '{name}' has code after self.next (line {last.lineno})",
            file=path,
            line=last.lineno,
            step=name,
            fix="self.next must be the last statement of the step; move that code above it",
        )
    _parse_next_call(step, call, path)
    return step


_CATCHES_ATTRIBUTE_ERROR = {"AttributeError", "Exception", "BaseException"}


def _catches_attribute_error(handler: ast.ExceptHandler) -> bool:
    if handler.type is None:
        return True
    types = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
    for t in types:
        name = t.id if isinstance(t, ast.Name) else t.attr if isinstance(t, ast.Attribute) else None
        if name in _CATCHES_ATTRIBUTE_ERROR:
            return True
    return False


def _assignment_targets(node: ast.AST) -> List[ast.AST]:
    if isinstance(node, ast.Assign):
        return list(node.targets)
    if isinstance(node, (ast.AugAssign, ast.AnnAssign, ast.For, ast.AsyncFor)):
        return [node.target]
    if isinstance(node, (ast.With, ast.AsyncWith)):
        return [item.optional_vars for item in node.items if item.optional_vars is not None]
    return []


def _self_assignments(func: ast.FunctionDef, honour_try: bool = True) -> Dict[str, int]:
    """First line of each ``self.X = ...`` in a step, except (``honour_try``) inside a ``try`` catching AttributeError.

    Assigning a read-only name raises AttributeError at run time; code that tries it
    on purpose and catches the error (Metaflow's own tests do) is ordinary code. A
    step's name is never assigned on purpose, so that check looks inside ``try`` too.
    """
    found: Dict[str, int] = {}

    def visit(node: ast.AST, guarded: bool) -> None:
        if not guarded:
            for target in _assignment_targets(node):
                for t in ast.walk(target):
                    attr = _self_attr(t)
                    if attr is not None and isinstance(t, ast.Attribute):
                        found.setdefault(attr, t.lineno)
        if isinstance(node, ast.Try) or type(node).__name__ == "TryStar":
            body_guarded = guarded or (honour_try and any(_catches_attribute_error(h) for h in node.handlers))  # type: ignore[attr-defined]
            for child in node.body:  # type: ignore[attr-defined]
                visit(child, body_guarded)
            for child in [*node.handlers, *node.orelse, *node.finalbody]:  # type: ignore[attr-defined]
                visit(child, guarded)
            return
        for child in ast.iter_child_nodes(node):
            visit(child, guarded)

    visit(func, False)
    return found


def _self_attr(node: ast.AST) -> Optional[str]:
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
        return node.attr
    return None


def _parse_next_call(step: ParsedStep, call: ast.Call, path: str) -> None:
    name = step.name

    def bad(message: str, fix: str) -> FlowDefinitionError:
        return FlowDefinitionError(message, file=path, line=call.lineno, step=name, fix=fix)

    step.has_next = True
    step.next_line = call.lineno
    kwargs: Dict[str, str] = {}
    for kw in call.keywords:
        if kw.arg not in ("foreach", "condition"):
            raise bad(
                f"self.next got an unsupported argument {kw.arg or '**'}",
                "self.next accepts steps, plus foreach='attr' or condition='attr'",
            )
        if not (isinstance(kw.value, ast.Constant) and isinstance(kw.value.value, str)):
            raise bad(
                f"self.next({kw.arg}=...) must be a string literal naming an artifact",
                f"write self.next(..., {kw.arg}='my_attribute')",
            )
        kwargs[kw.arg] = kw.value.value
    if "foreach" in kwargs and "condition" in kwargs:
        raise bad("self.next cannot take both foreach= and condition=", "use one transition per step")
    if len(call.args) == 1 and isinstance(call.args[0], ast.Dict):
        if "condition" not in kwargs:
            raise bad(
                "a switch (self.next with a dict) needs condition='attr'",
                "write self.next({'a': self.a, 'b': self.b}, condition='my_attribute')",
            )
        cases = []
        for key, value in zip(call.args[0].keys, call.args[0].values):
            if not (isinstance(key, ast.Constant) and isinstance(key.value, (str, int, bool))):
                raise bad("switch cases must be literal strings", "write {'case': self.step, ...}")
            target = _self_attr(value)
            if target is None:
                raise bad(
                    f"switch case {key.value!r} does not name a step",
                    "each case maps to a step, such as {'done': self.end}",
                )
            cases.append((str(key.value), target))
        if not cases:
            raise bad("a switch needs at least one case", "write {'a': self.a, ...}")
        values = [c for c, _ in cases]
        if len(set(values)) != len(values):
            raise bad("a switch has duplicate cases", "give each case a distinct value")
        step.cases = tuple(cases)
        step.condition = kwargs["condition"]
        step.targets = tuple(dict.fromkeys(t for _, t in cases))
        return
    if "condition" in kwargs:
        raise bad("condition= needs a dict of cases", "write self.next({'a': self.a, 'b': self.b}, condition='attr')")
    targets = []
    for arg in call.args:
        target = _self_attr(arg)
        if target is None:
            raise bad(
                f"self.next argument {ast.unparse(arg)} is not a step of this flow",
                "pass steps as attributes of self, e.g. self.next(self.train)",
            )
        targets.append(target)
    if not targets:
        raise bad("self.next() names no step", "name the next step, e.g. self.next(self.end)")
    if len(set(targets)) != len(targets):
        raise bad("self.next names the same step twice", "name each branch once")
    if "foreach" in kwargs and len(targets) != 1:
        raise bad("a foreach goes to exactly one step", "write self.next(self.step, foreach='items')")
    step.targets = tuple(targets)
    step.foreach = kwargs.get("foreach")
