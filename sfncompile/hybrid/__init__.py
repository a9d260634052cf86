"""Hybrid runs: the local scheduler orchestrates, chosen steps run as AWS Batch jobs.

``selection.py`` says which steps go to Batch; ``plan.py`` uploads what they need and
builds ``executor.py``'s executor, the scheduler's second one (beside the local process
pool); ``jobs.py`` submits, polls, streams logs and terminates. This package sits on top
of ``aws/`` and ``local/``: the scheduler only knows the executor's shape, never AWS.

Only the selection is imported here: every local run asks it, and a run without
``@batch`` steps never imports the executor or the job loop (import them from their
modules).
"""
from __future__ import annotations

from .selection import remote_steps, require_config

__all__ = ["remote_steps", "require_config"]
