"""sfncompile: write flows the Metaflow way; run them locally or on AWS Step Functions + Batch.

The authoring API is imported eagerly (it is small); the client, which pulls in
storage backends, loads on first use so ``import sfncompile`` stays fast.
"""
from typing import Any

from .exceptions import TimeoutException
from .flow import (
    FlowSpec,
    IncludeFile,
    JSONType,
    Parameter,
    batch,
    card,
    catch,
    conda,
    conda_base,
    current,
    environment,
    foreach,
    kubernetes,
    project,
    pypi,
    pypi_base,
    resources,
    retry,
    schedule,
    step,
    timeout,
    trigger,
    trigger_on_finish,
)

# The one version source: packaging reads it (pyproject's dynamic version), so does `--version`.
__version__ = "0.1.0"

# Library use: sfncompile logs to the "sfncompile" logger and prints nothing unless the
# application configures logging; ``logs.py`` installs that NullHandler where logging is used.

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
    "pypi",
    "pypi_base",
    "conda",
    "conda_base",
    "kubernetes",
    "project",
    "trigger",
    "trigger_on_finish",
    "TimeoutException",
    "card",
    "Metaflow",
    "Flow",
    "Run",
    "Step",
    "Task",
    "DataArtifact",
    "namespace",
    "get_namespace",
    "default_namespace",
    "get_metadata",
    "Runner",
    "Deployer",
    "publish_event",
]

# The client pulls in storage backends: its names (the tail of __all__, from "Metaflow")
# load on first use (``__getattr__`` below).
_CLIENT_NAMES = frozenset(__all__[__all__.index("Metaflow"):])


from .script_errors import install_for_flow_script as _install_for_flow_script

_install_for_flow_script()  # `python flow.py ...`: a failing flow file gets one line, not a traceback


def __getattr__(name: str) -> Any:
    if name in _CLIENT_NAMES:
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module 'sfncompile' has no attribute {name!r}")
