"""Compiler: graph IR + deploy settings -> Amazon States Language (pure: no AWS, no disk).

>>> result = compile_flow(graph, DeploySettings())
>>> to_json(result.definition)        # canonical compact JSON, byte-identical for the same input
>>> result.warnings                   # CompileWarning(step, message, fix), for the user
>>> result.job_definitions            # steps with @batch(image=...): deploy registers these

See ``builder.py`` for the shape of the machine and docs/internals.md for the
contract with the runtime (task command, DynamoDB items, storage keys).
"""
from __future__ import annotations

from typing import Any, Mapping, Optional, Sequence

from ..graph.ir import FlowGraph
from .builder import Builder
from .compute import Compute, check_compute, kubernetes_warnings
from .limits import verify_definition
from .names import check_state_machine_name
from .result import CompileResult, CompileWarning
from .serialize import to_json, to_pretty_json
from .size import check_size
from .settings import DeploySettings, ThrottleRetry
from .substitute import placeholders_in, substitute, values_from_config


def check_definition_size(definition: Mapping[str, Any], graph: Optional[FlowGraph] = None,
                          requests: Sequence[Mapping[str, Any]] = ()) -> None:
    """Raise CompileError past Step Functions' 1 MiB request as deployed (placeholders measured as
    real ARNs); deploy calls it again with the CreateStateMachine / UpdateStateMachine requests
    it is about to send."""
    check_size(definition, graph, requests)


def compile_flow(graph: FlowGraph, settings: Optional[DeploySettings] = None) -> CompileResult:
    """Compile ``graph``; raises CompileError for what Step Functions cannot run."""
    settings = settings or DeploySettings()
    name = settings.state_machine_name or graph.name
    check_state_machine_name(name)
    if settings.compute is not None:
        check_compute(graph, settings.compute)
    builder = Builder(graph, settings)
    definition = builder.build()
    verify_definition(definition)
    if settings.substitutions:
        definition, _ = substitute(definition, settings.substitutions)
    size_warning = check_size(definition, graph)
    warnings = [*builder.warnings, *kubernetes_warnings(graph), *([size_warning] if size_warning else [])]
    return CompileResult(
        name=name,
        definition=definition,
        warnings=tuple(dict.fromkeys(warnings)),  # a body compiled twice warns once
        job_definitions=dict(sorted(builder.job_definitions.items())),
    )


__all__ = [
    "CompileResult",
    "Compute",
    "CompileWarning",
    "DeploySettings",
    "ThrottleRetry",
    "check_definition_size",
    "compile_flow",
    "placeholders_in",
    "substitute",
    "to_json",
    "to_pretty_json",
    "values_from_config",
]
