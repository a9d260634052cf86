"""What a compilation returns: the definition plus what deploy and the user must know."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, Mapping, Optional, Tuple


@dataclass(frozen=True)
class CompileWarning:
    """Something that compiles but deserves attention; says where and how to fix it."""

    message: str
    step: Optional[str] = None
    fix: Optional[str] = None

    def __str__(self) -> str:
        text = f"step '{self.step}': {self.message}" if self.step else self.message
        if self.fix:
            text += f"\n  fix: {self.fix}"
        return text


@dataclass(frozen=True)
class CompileResult:
    """A compiled state machine.

    ``definition`` is the ASL (a plain dict in deterministic insertion order).
    ``job_definitions`` maps each step that needs its own Batch job definition
    (``@batch(image=...)``) to ``{"placeholder": ..., "image": ...}``: deploy
    registers them and fills the placeholders.
    """

    name: str
    definition: Dict[str, Any]
    warnings: Tuple[CompileWarning, ...] = ()
    job_definitions: Mapping[str, Mapping[str, str]] = field(default_factory=dict)
