"""Hybrid runs: the local scheduler orchestrates, chosen steps run as AWS Batch jobs.

``plan.py`` decides which steps go to Batch and uploads what they need; ``executor.py``
is the scheduler's second executor (beside the local process pool); ``jobs.py`` submits,
polls, streams logs and terminates. This package sits on top of ``aws/`` and ``local/``:
the scheduler only knows the executor's shape, never AWS.
"""
from __future__ import annotations

from .executor import BatchExecutor, StepJob
from .jobs import BatchJobs, JobSpec
from .plan import plan_hybrid, remote_steps, require_config

__all__ = ["BatchExecutor", "BatchJobs", "JobSpec", "StepJob", "plan_hybrid", "remote_steps", "require_config"]
