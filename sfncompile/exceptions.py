"""Errors meant for people: each says what is wrong, where, and how to fix it."""
from __future__ import annotations

from typing import Optional


class SfnCompileError(Exception):
    """Base of every error sfncompile raises on purpose (the CLI prints these without a stack)."""

    headline = "error"

    def __init__(self, message: str, *, fix: Optional[str] = None) -> None:
        self.message = message
        self.fix = fix
        super().__init__(self.render())

    def render(self) -> str:
        text = self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class FlowDefinitionError(SfnCompileError):
    """A mistake in how a flow is written: names the file:line and the step."""

    headline = "flow definition error"

    def __init__(
        self,
        message: str,
        *,
        file: Optional[str] = None,
        line: Optional[int] = None,
        step: Optional[str] = None,
        fix: Optional[str] = None,
    ) -> None:
        self.file = file
        self.line = line
        self.step = step
        super().__init__(message, fix=fix)

    @property
    def location(self) -> str:
        where = ""
        if self.file:
            where = self.file + (f":{self.line}" if self.line else "")
        if self.step:
            where = f"{where} (step '{self.step}')" if where else f"step '{self.step}'"
        return where

    def render(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


class ParameterError(SfnCompileError):
    """A parameter value that does not fit its declaration."""

    headline = "parameter error"


class CompileError(SfnCompileError):
    """The compiler cannot express a flow or its settings in Step Functions."""

    headline = "compile error"


class StorageError(SfnCompileError):
    """The datastore or metadata store failed or holds something unexpected."""

    headline = "storage error"


class IntegrityError(StorageError):
    """A blob's bytes no longer match their sha256: the store is corrupted."""

    headline = "integrity error"


class ArtifactError(SfnCompileError):
    """An artifact cannot be serialized or read back."""

    headline = "artifact error"


class TaskFailed(SfnCompileError):
    """User code of a step raised; carries the pathspec and the formatted traceback."""

    headline = "task failed"


class NotFoundError(SfnCompileError):
    """An unknown flow, run, step, task or artifact was asked for."""

    headline = "not found"


class ConfigError(SfnCompileError):
    """Missing or invalid configuration (for example no AWS config yet)."""

    headline = "configuration error"


class AwsError(SfnCompileError):
    """An AWS call failed; the message is one readable line with the fix."""

    headline = "aws error"


class NamespaceMismatch(NotFoundError):
    """The object exists, but not in the current namespace (``namespace(None)`` shows it)."""

    headline = "not in namespace"


class TaggingError(SfnCompileError):
    """A tag that cannot be added or removed (empty, too long, or a system tag)."""

    headline = "tag error"


class CommandError(SfnCompileError):
    """A command that a Runner started (``sfncompile run``/``resume``) failed before a run existed."""

    headline = "command failed"


class EnvironmentSpecError(SfnCompileError):
    """A step's package environment cannot be resolved, built or bootstrapped."""

    headline = "environment error"


class TimeoutException(SfnCompileError):
    """Raised inside a step that ran past its @timeout (Metaflow's name: ``except TimeoutException``)."""

    headline = "@timeout"
