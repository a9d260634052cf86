"""Exception names as Metaflow users import them (``from sfncompile.exception import ...``).

Each name is the sfncompile error that plays the same role, so ``except
MetaflowNotFound`` catches exactly what the client raises for an unknown run.
sfncompile's own names live in :mod:`sfncompile.exceptions`.
"""
from __future__ import annotations

from .exceptions import (
    ArtifactError,
    CommandError,
    ConfigError,
    FlowDefinitionError,
    NamespaceMismatch,
    NotFoundError,
    ParameterError,
    SfnCompileError,
    TaggingError,
    TaskFailed,
    TimeoutException,
)
from .flow.flowspec import MergeError

#: The base of every error sfncompile raises on purpose.
SfncompileException = SfnCompileError
MetaflowException = SfnCompileError
MetaflowNotFound = NotFoundError
MetaflowNamespaceMismatch = NamespaceMismatch
MetaflowTaggingError = TaggingError
MetaflowInvalidPathspec = NotFoundError
MetaflowDataMissing = ArtifactError
CommandException = CommandError
ExternalCommandFailed = TaskFailed
ParameterFieldFailed = ParameterError
ParameterFieldTypeMismatch = ParameterError
InvalidDecoratorAttribute = FlowDefinitionError
UnhandledInMergeArtifactsException = MergeError
MissingInMergeArtifactsException = MergeError

__all__ = [
    "SfncompileException",
    "TimeoutException",
    "MetaflowException",
    "MetaflowNotFound",
    "MetaflowNamespaceMismatch",
    "MetaflowTaggingError",
    "MetaflowInvalidPathspec",
    "MetaflowDataMissing",
    "CommandException",
    "ExternalCommandFailed",
    "ParameterFieldFailed",
    "ParameterFieldTypeMismatch",
    "InvalidDecoratorAttribute",
    "UnhandledInMergeArtifactsException",
    "MissingInMergeArtifactsException",
]
