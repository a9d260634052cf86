"""Build the FlowGraph of a flow class (or file) by static analysis."""
from __future__ import annotations

import ast
import inspect
from types import MappingProxyType
from typing import Dict, Optional, Tuple

from ..exceptions import FlowDefinitionError
from ..flow.decorators import FLOW_DECORATORS_ATTR, STEP_DECORATORS_ATTR
from ..flow.flowspec import FlowSpec, parameters_of
from ..flow.parameters import reserved_parameter_names
from ..flow.step import is_step
from .ir import FlowGraph, ParameterSpec, freeze
from .parse import ParsedStep, find_function, parse_file, parse_step
from .structure import analyze

_CACHE: Dict[type, FlowGraph] = {}


def _class_location(flow_cls: type) -> Tuple[str, int]:
    module = inspect.getmodule(flow_cls)
    file = getattr(module, "__file__", None) or "<unknown>"
    line = 0
    for value in vars(flow_cls).values():
        if inspect.isfunction(value):
            code = value.__code__
            file = code.co_filename
            line = code.co_firstlineno if not line else min(line, code.co_firstlineno)
    return file, line


def build_graph(flow_cls: type) -> FlowGraph:
    """The immutable graph of ``flow_cls``; cached per class (classes are immutable enough)."""
    cached = _CACHE.get(flow_cls)
    if cached is not None:
        return cached
    if not (isinstance(flow_cls, type) and issubclass(flow_cls, FlowSpec)):
        raise FlowDefinitionError(f"{flow_cls!r} is not a FlowSpec subclass", fix="subclass sfncompile.FlowSpec")
    flow_file, flow_line = _class_location(flow_cls)
    parsed: Dict[str, ParsedStep] = {}
    seen_attrs = set()
    for klass in flow_cls.__mro__:
        if klass is FlowSpec or klass is object:
            continue
        for attr, func in vars(klass).items():
            if attr in seen_attrs:
                continue
            seen_attrs.add(attr)
            if not is_step(func):
                continue
            code = func.__code__
            if func.__name__ != attr:  # a lambda, or a function bound under another name
                kind = "a lambda" if func.__name__ == "<lambda>" else f"function '{func.__name__}' bound to '{attr}'"
                raise FlowDefinitionError(
                    f"step '{attr}' is not a `def` of the flow class: it is {kind}",
                    file=code.co_filename,
                    line=code.co_firstlineno,
                    step=attr,
                    fix=f"write `@step` directly above `def {attr}(self):` inside the class",
                )
            node = find_function(code.co_filename, klass.__name__, func.__name__, code.co_firstlineno)
            decorators = {k: dict(v) for k, v in getattr(func, STEP_DECORATORS_ATTR).items()}
            _kubernetes_on_batch(decorators, code.co_filename, code.co_firstlineno, attr)
            parsed[attr] = parse_step(node, code.co_filename, decorators)
    # Source order (by file, then line) so output is stable and reads like the file.
    ordered = dict(sorted(parsed.items(), key=lambda kv: (kv[1].file != flow_file, kv[1].file, kv[1].line)))
    class_node = _class_node(flow_cls, flow_file, flow_line)
    if class_node is not None:
        flow_line = class_node.lineno
        _check_shadowed_names(class_node, flow_file)
    _check_assigned_names(ordered)
    nodes = analyze(ordered, flow_file, flow_line)
    params = _parameters(flow_cls, ordered, flow_file, class_node)
    _check_decorator_combinations(ordered)
    graph = FlowGraph(
        name=flow_cls.__name__,
        file=flow_file,
        line=flow_line,
        doc=inspect.getdoc(flow_cls) if flow_cls.__doc__ else None,
        steps=MappingProxyType(nodes),
        parameters=params,
        flow_decorators=freeze(getattr(flow_cls, FLOW_DECORATORS_ATTR, {})),
    )
    _CACHE[flow_cls] = graph
    return graph


def _class_node(flow_cls: type, flow_file: str, near_line: int) -> Optional[ast.ClassDef]:
    """The class statement (for its line and for names the class body defines twice)."""
    try:
        tree = parse_file(flow_file)
    except (OSError, SyntaxError):
        return None
    found = [n for n in ast.walk(tree) if isinstance(n, ast.ClassDef) and n.name == flow_cls.__name__]
    before = [n for n in found if n.lineno <= near_line] or found
    return max(before, key=lambda n: n.lineno) if before else None


def _check_shadowed_names(class_node: ast.ClassDef, flow_file: str) -> None:
    """A name bound twice in the class body (a Parameter and a step) loses one silently: say so."""
    bound: Dict[str, int] = {}
    for item in class_node.body:
        names: Tuple[str, ...] = ()
        if isinstance(item, ast.Assign):
            names = tuple(t.id for t in item.targets if isinstance(t, ast.Name))
        elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
            names = (item.target.id,)
        elif isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
            names = (item.name,)
        for name in names:
            if name in bound:
                raise FlowDefinitionError(
                    f"'{name}' is defined twice in the flow class (line {bound[name]} and line {item.lineno}); "
                    f"a parameter and a step cannot share a name",
                    file=flow_file,
                    line=item.lineno,
                    step=name if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) else None,
                    fix="rename the parameter or the step",
                )
            bound[name] = item.lineno


def _assignment_lines(class_node: Optional[ast.ClassDef]) -> Dict[str, int]:
    """Line of each name assigned in the class body (where parameters are declared)."""
    lines: Dict[str, int] = {}
    for item in class_node.body if class_node is not None else ():
        targets = item.targets if isinstance(item, ast.Assign) else [item.target] if isinstance(item, ast.AnnAssign) else []
        for target in targets:
            if isinstance(target, ast.Name):
                lines.setdefault(target.id, item.lineno)
    return lines


def _parameters(
    flow_cls: type, parsed: Dict[str, ParsedStep], flow_file: str, class_node: Optional[ast.ClassDef]
) -> Tuple[ParameterSpec, ...]:
    specs = []
    artifacts: Dict[str, ParsedStep] = {}
    for p in parsed.values():
        for name, _line in p.assigned:
            artifacts.setdefault(name, p)
    reserved = reserved_parameter_names()
    declared_at = _assignment_lines(class_node)
    class_line = class_node.lineno if class_node is not None else 0
    options: Dict[str, str] = {}  # --option spelling -> parameter name (dashes and underscores are one)
    for pname, (attr, param) in parameters_of(flow_cls).items():
        line = declared_at.get(attr, class_line)
        option = pname.replace("_", "-")
        if option in options:
            raise FlowDefinitionError(
                f"parameters '{options[option]}' and '{pname}' are both --{option} on the command line",
                file=flow_file,
                line=line,
                fix="rename one of them",
            )
        options[option] = pname
        # Only the attribute is bound on the flow; the command-line name may be anything.
        if attr in parsed:
            raise FlowDefinitionError(
                f"parameter '{pname}' has the same name as step '{attr}'",
                file=flow_file,
                line=line,
                fix="rename the parameter or the step",
            )
        if attr in reserved:
            raise FlowDefinitionError(
                f"parameter attribute '{attr}' is reserved by sfncompile",
                file=flow_file,
                line=line,
                fix=f"bind it to another attribute (e.g. my_{attr} = Parameter({pname!r}, ...)); "
                f"reserved: {', '.join(sorted(reserved))}",
            )
        if attr in artifacts:
            step = artifacts[attr]
            line_set = dict(step.assigned)[attr]
            raise FlowDefinitionError(
                f"step '{step.name}' assigns self.{attr}, which is parameter '{pname}'",
                file=step.file,
                line=line_set,
                step=step.name,
                fix="parameters are read-only: store the new value under another name",
            )
        specs.append(
            ParameterSpec(
                name=pname,
                attribute=attr,
                type=param.type_name,
                default=param.default,
                required=param.required,
                help=param.help,
                is_file=param.is_file,
                is_text=getattr(param, "is_text", True),
                encoding=getattr(param, "encoding", "utf-8"),
                line=line,
                separator=param.separator,
            )
        )
    return tuple(specs)


def _kubernetes_on_batch(decorators: Dict[str, dict], file: str, line: int, step: str) -> None:
    """@kubernetes sizes the step's Batch job: cpu/memory/gpu join @resources (the larger wins, as in
    Metaflow) and its image becomes the @batch image; the compiler then needs nothing new."""
    kube = decorators.get("kubernetes")
    if not kube:
        return
    resources = dict(decorators.get("resources") or {})
    for key in ("cpu", "memory", "gpu"):
        if kube.get(key) is not None:
            resources[key] = max(resources.get(key, kube[key]), kube[key])
    if resources:
        decorators["resources"] = resources
    if kube.get("image"):
        batch = decorators.setdefault("batch", {})
        if batch.get("image") not in (None, kube["image"]):
            raise FlowDefinitionError(
                f"@kubernetes(image={kube['image']!r}) and @batch(image={batch['image']!r}) disagree",
                file=file, line=line, step=step, fix="keep one image",
            )
        batch["image"] = kube["image"]


def _check_assigned_names(parsed: Dict[str, ParsedStep]) -> None:
    """``self.next = ...``, ``self.input = ...`` fail at run time and ``self.train = ...`` (a step) is shadowed
    by the step wherever it is read (``inputs.train.train`` is the method): say so at check."""
    reserved = reserved_parameter_names()
    for p in parsed.values():
        other = f"store the value under another artifact name (reserved: {', '.join(sorted(reserved))})"
        clashes = [(line, name, f"self.{name}, which sfncompile reserves", other) for name, line in p.assigned
                   if name in reserved]
        # A step's name is never assigned on purpose (reads would get the step), even inside a try.
        clashes += [(line, name, f"self.{name}, which is step '{name}'",
                     f"store the value under another artifact name, e.g. self.{name}_value")
                    for name, line in p.assigned_anywhere if name in parsed and name not in reserved]
        for line, name, what, fix in sorted(clashes)[:1]:
            raise FlowDefinitionError(f"step '{p.name}' assigns {what}", file=p.file, line=line, step=p.name, fix=fix)


def _check_decorator_combinations(parsed: Dict[str, ParsedStep]) -> None:
    for p in parsed.values():
        if "foreach" in p.decorators and not p.foreach:
            raise FlowDefinitionError(
                "@foreach settings on a step that does not split with foreach=",
                file=p.file,
                line=p.line,
                step=p.name,
                fix="put @foreach(...) on the step that calls self.next(..., foreach='attr')",
            )


def build_graph_from_file(path: str, class_name: Optional[str] = None) -> FlowGraph:
    from .loader import load_flow_class

    return build_graph(load_flow_class(path, class_name))
