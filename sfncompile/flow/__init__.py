"""Authoring layer: what users import to write flows. No I/O, no AWS."""
from .card import card
from .current import current
from .decorators import batch, catch, environment, foreach, kubernetes, resources, retry, schedule, timeout
from .env_decorators import conda, conda_base, pypi, pypi_base
from .flowspec import FlowSpec, Inputs
from .parameters import IncludeFile, JSONType, Parameter
from .project import project
from .step import step
from .triggers import trigger, trigger_on_finish

__all__ = [
    "FlowSpec",
    "Inputs",
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
    "card",
]
