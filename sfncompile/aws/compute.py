"""Which kind of Batch compute a stage's job queue runs on (Fargate, EC2, EC2 with GPUs).

``deploy`` asks before compiling, so a step the queue cannot run (a vCPU/memory pair
Fargate does not offer, a GPU where there is none) is rejected up front, not at submit.
"""
from __future__ import annotations

import re
from typing import Any, Optional

from ..compiler.compute import EC2, EC2_GPU, FARGATE, Compute

# Instance families with NVIDIA GPUs that Batch can schedule GPU jobs on (p3, p4d, g4dn, g5, g6e, ...).
_GPU_FAMILY = re.compile(r"^(p|g)\d")


def stage_compute(batch: Any, job_queue: str) -> Optional[Compute]:
    """The compute kind behind ``job_queue``, or None when it cannot be told (no check is made then)."""
    try:
        queues = batch.describe_job_queues(jobQueues=[job_queue]).get("jobQueues") or []
        names = [o["computeEnvironment"] for q in queues for o in q.get("computeEnvironmentOrder") or []]
        if not names:
            return None
        envs = batch.describe_compute_environments(computeEnvironments=names).get("computeEnvironments") or []
    except Exception:  # a read we can do without: Batch still refuses what it cannot run
        return None
    kinds = set()
    for env in envs:
        resources = env.get("computeResources") or {}
        kind = str(resources.get("type") or "").upper()
        if kind.startswith("FARGATE"):
            kinds.add(FARGATE)
        elif kind:
            gpus = any(_GPU_FAMILY.match(t) for t in resources.get("instanceTypes") or ())
            kinds.add(EC2_GPU if gpus else EC2)
    if len(kinds) != 1:  # mixed or unknown queues: leave it to Batch
        return None
    return Compute(kinds.pop())
