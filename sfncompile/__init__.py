"""sfncompile: write flows the Metaflow way; run them locally or on AWS Step Functions + Batch.

The authoring API is imported eagerly (it is small); the client, which pulls in
storage backends, loads on first use so ``import sfncompile`` stays fast.
"""
from typing import Any

from .flow import (
    FlowSpec,
    IncludeFile,
    JSONType,
    Parameter,
    batch,
    catch,
    current,
    environment,
    foreach,
    resources,
    retry,
    schedule,
    step,
    timeout,
)

# The one version source: packaging reads it (pyproject's dynamic version), so does `--version`.
__version__ = "0.1.0"

# Literal, so that type checkers and IDEs see the public names without running code.
__all__ = [
    "__version__",
    "FlowSpec",
    "step",
    "Parameter",
    "IncludeFile",
    "JSONType",
    "current",
    "retry",
    "catch",
    "timeout",
    "resources",
    "batch",
    "environment",
    "foreach",
    "schedule",
    "Flow",
    "Run",
    "Step",
    "Task",
    "DataArtifact",
    "namespace",
    "get_namespace",
    "default_namespace",
]

# The client pulls in storage backends: loaded on first use (``__getattr__`` below).
_CLIENT_NAMES = frozenset({"Flow", "Run", "Step", "Task", "DataArtifact", "namespace", "get_namespace", "default_namespace"})


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module 'sfncompile' has no attribute {name!r}")
