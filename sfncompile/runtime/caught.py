"""What @catch stores: a small, always-unpicklable record of an exception.

Only standard types inside, and this module imports nothing heavy, so a client can
read a caught exception without the flow's code or its dependencies.
"""
from __future__ import annotations

from typing import Optional


class CaughtException:
    """An exception a step raised on its last attempt, kept as an artifact by @catch.

    ``type`` is the qualified class name (``ValueError``, ``mypkg.MyError``),
    ``message`` its ``str()``, ``traceback`` the formatted traceback text.
    """

    __slots__ = ("type", "message", "traceback", "step", "pathspec")

    def __init__(self, type: str, message: str, traceback: str, step: str = "", pathspec: str = "") -> None:
        self.type = type
        self.message = message
        self.traceback = traceback
        self.step = step
        self.pathspec = pathspec

    @classmethod
    def from_exception(cls, exc: BaseException, traceback_text: str, step: str = "", pathspec: str = "") -> "CaughtException":
        klass = type(exc)
        module = klass.__module__ or ""
        plain = module in ("builtins", "__main__") or module.startswith("sfncompile.")
        name = klass.__qualname__ if plain else f"{module}.{klass.__qualname__}"
        return cls(name, str(exc), traceback_text, step, pathspec)

    def __getstate__(self):
        return {k: getattr(self, k) for k in self.__slots__}

    def __setstate__(self, state) -> None:
        for k in self.__slots__:
            object.__setattr__(self, k, state.get(k, ""))

    def __str__(self) -> str:
        return f"{self.type}: {self.message}" if self.message else self.type

    def __repr__(self) -> str:
        return f"CaughtException({self.type}: {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CaughtException) and self.__getstate__() == other.__getstate__()

    __hash__ = None  # type: ignore[assignment]


def short_error(text: Optional[str]) -> str:
    """The last non-empty line of a traceback text (``ValueError: boom``)."""
    if not text:
        return ""
    lines = [ln for ln in text.rstrip().splitlines() if ln.strip()]
    top = [ln for ln in lines if not ln.startswith((" ", "\t"))]
    return (top or lines)[-1].strip() if lines else ""
