"""What environment a step asks for: its @pypi/@conda over the flow's base.

The base is ``@pypi_base``/``@conda_base`` or, when the flow has neither, a
``requirements.txt`` beside the flow file. A step's own packages extend the base and
override it name by name; ``disabled=True`` runs the step with no environment.
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Dict, List, Mapping, Optional, Tuple

from ..exceptions import FlowDefinitionError
from ..graph.ir import FlowGraph, StepNode

REQUIREMENTS_FILE = "requirements.txt"
_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_OPERATOR = re.compile(r"^\s*(===|==|!=|~=|<=|>=|<|>)")


def canonical(name: str) -> str:
    """PEP 503 normalised project name: comparisons ignore case, '-', '_' and '.'."""
    return re.sub(r"[-_.]+", "-", name.split("[", 1)[0]).lower()


def requirement(name: str, version: str) -> str:
    """``{"pandas": "2.2.3"}`` -> ``pandas==2.2.3``; ``">=2.2"`` and ``""`` are kept as written."""
    version = version.strip()
    if not version:
        return name
    if _OPERATOR.match(version):
        return f"{name}{version}"
    return f"{name}=={version}"


@dataclass(frozen=True)
class EnvSpec:
    """A resolvable environment: requirement lines + the Python version it needs (None: the target's)."""

    requirements: Tuple[str, ...]
    python: Optional[str]
    conda: Tuple[str, ...] = ()        # names written with @conda spelling (for the PyPI-lookup error)
    origin: Tuple[str, ...] = ()       # where it came from, for check output and errors


@dataclass(frozen=True)
class BaseEnv:
    packages: Mapping[str, str]          # canonical name -> requirement line
    python: Optional[str]
    conda: Tuple[str, ...]
    origin: str


def _requirements_file(flow_file: str) -> Optional[BaseEnv]:
    path = os.path.join(os.path.dirname(os.path.abspath(flow_file)), REQUIREMENTS_FILE)
    if not os.path.isfile(path):
        return None
    packages: Dict[str, str] = {}
    with open(path, encoding="utf-8") as handle:
        for number, raw in enumerate(handle, 1):
            line = raw.split(" #", 1)[0].strip()
            if not line or line.startswith("#"):
                continue
            match = _REQ_NAME.match(line)
            if line.startswith("-") or match is None:
                raise FlowDefinitionError(
                    f"{REQUIREMENTS_FILE} line {number}: {line!r} is not a package requirement",
                    file=path, line=number,
                    fix="list one package per line (e.g. `pandas==2.2.3`); options such as -r, -e or --index-url are not used",
                )
            packages[canonical(match.group(1))] = line
    return BaseEnv(packages, None, (), f"{REQUIREMENTS_FILE} beside the flow ({path})")


def base_environment(graph: FlowGraph) -> Optional[BaseEnv]:
    """The flow's base: @pypi_base/@conda_base, else requirements.txt beside the flow file, else None."""
    base = graph.flow_decorators.get("environment_base")
    if base is not None:
        if base["disabled"]:
            return None
        packages = {canonical(n): requirement(n, v) for n, v in base["packages"].items()}
        conda = tuple(base["packages"]) if base["source"] == "conda" else ()
        return BaseEnv(packages, base["python"], conda, f"@{base['decorator']}")
    return _requirements_file(graph.file)


def step_environment(graph: FlowGraph, node: StepNode, base: Optional[BaseEnv]) -> Optional[EnvSpec]:
    """The environment ``node`` runs in, or None for the plain (forked) path."""
    own = [d for d in ("pypi", "conda") if node.decorator(d) is not None]
    if len(own) > 1:
        raise FlowDefinitionError(
            "@pypi and @conda are both applied", file=graph.file, line=node.line, step=node.name,
            fix="keep one of them (both are resolved from PyPI)",
        )
    deco = node.decorator(own[0]) if own else None
    if deco is not None and deco["disabled"]:
        return None
    if deco is None and base is None:
        return None
    packages: Dict[str, str] = dict(base.packages) if base else {}
    conda: List[str] = list(base.conda) if base else []
    origin: List[str] = [base.origin] if base else []
    python = base.python if base else None
    if deco is not None:
        for name, version in deco["packages"].items():
            packages[canonical(name)] = requirement(name, version)
            if own[0] == "conda":
                conda.append(name)
        python = deco["python"] or python
        origin.append(f"@{own[0]}")
    return EnvSpec(tuple(packages[k] for k in sorted(packages)), python, tuple(sorted(set(conda))), tuple(origin))


def flow_environments(graph: FlowGraph) -> Dict[str, Optional[EnvSpec]]:
    """Each step's environment (None: no environment), in graph order."""
    base = base_environment(graph)
    return {node.name: step_environment(graph, node, base) for node in graph}
