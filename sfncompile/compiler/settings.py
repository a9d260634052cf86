"""Deploy settings: everything besides the flow itself that shapes the compiled machine.

Compilation is a pure function of (graph, settings), so every knob that changes the
output lives here, with a default that works for the stack `infra/` deploys.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Mapping, Optional, Tuple

if TYPE_CHECKING:  # compute.py imports the graph IR; settings stay import-free
    from .compute import Compute

FOREACH_MODES = ("auto", "inline", "distributed")


@dataclass(frozen=True)
class ThrottleRetry:
    """How a Task retries SubmitJob throttling (Batch admits ~50 submissions/s per account).

    These retries happen before the job runs, so they use a jittered exponential backoff
    that spreads a Distributed Map's thousands of children over time.
    """

    # The Batch integration reports API errors it has no model for, throttling
    # (HTTP 429 TooManyRequestsException) included, as Batch.AWSBatchException.
    errors: Tuple[str, ...] = ("Batch.AWSBatchException",)
    interval_seconds: int = 1
    max_attempts: int = 8  # waits up to 1 + 2 + ... + 128 s, jittered
    backoff_rate: float = 2.0
    max_delay_seconds: Optional[int] = None


@dataclass(frozen=True)
class DeploySettings:
    """Settings of one compilation.

    ``state_machine_name`` defaults to the flow's class name. ``substitutions`` fills
    ``${Placeholder}``s at compile time (the CLI's ``--config``); left empty, the
    placeholders stay in the JSON for boto3 or CloudFormation ``DefinitionSubstitutions``.
    """

    state_machine_name: Optional[str] = None
    substitutions: Mapping[str, str] = field(default_factory=dict)
    # Foreach splits without @foreach(mode=...) use this mode.
    default_foreach_mode: str = "auto"
    # "auto" runs a foreach inline up to this many items (inline Maps run about 40
    # iterations at a time; wider ones go to a Distributed Map)...
    inline_max_items: int = 40
    # ...unless the inline Map's worst-case history would take more than this share of
    # an execution's event limit (Step Functions fails an execution at 25,000 events).
    history_event_limit: int = 25_000
    inline_history_share: float = 0.5
    # ArrayRange builds an inline Map's item indices and is limited to 1,000 items.
    inline_hard_max_items: int = 1_000
    # @timeout: Batch kills an attempt after its duration; the state gives up after
    # platform_attempts x duration + this margin for queueing (Batch retries platform
    # failures itself, up to the job definition's retryStrategy attempts).
    timeout_queue_margin_seconds: int = 3_600
    platform_attempts: int = 3
    throttle_retry: ThrottleRetry = ThrottleRetry()
    # The stage's Batch compute; when known, steps it cannot run are rejected (compute.py).
    compute: Optional["Compute"] = None
    # step -> package environment id (image target): its task command gets --environment ID.
    environments: Mapping[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.default_foreach_mode not in FOREACH_MODES:
            raise ValueError(f"default_foreach_mode must be one of {', '.join(FOREACH_MODES)}")
        if not 1 <= self.inline_max_items <= self.inline_hard_max_items:
            raise ValueError(f"inline_max_items must be between 1 and {self.inline_hard_max_items}")
