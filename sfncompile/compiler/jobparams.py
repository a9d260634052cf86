"""The Batch job's task command and its ``Ref::`` parameters (docs/internals.md, "The task command").

One contract joins the job definition's command (the infra's base definition and every
flow job definition deploy registers), the compiled Tasks' SubmitJob ``Parameters``, the
hybrid executor's submissions and the ``sfncompile task`` entrypoint the words call.
Batch replaces a command word ``Ref::name`` by the job's parameter ``name``
(https://docs.aws.amazon.com/batch/latest/userguide/example-use-parameters.html).

The names are one letter each because a compiled Task pays for them in every step:
``{"s":"train","r.$":"$.r"}`` instead of ``{"step":"train","run.$":"$.r"}`` is 5 bytes
less per step against Step Functions' 1 MiB definition limit.
"""
from __future__ import annotations

from typing import Callable, Dict, List, Mapping, Tuple

from ..graph.taskid import ROOT_TASK_ID

STEP = "s"
RUN = "r"
TASK = "t"
ATTEMPT = "a"

REF = "Ref::"

# What a step's Batch job runs; the infra's copy (infra/sfncompile_infra/batch.py,
# which does not import sfncompile) is checked against it by tests/infra.
JOB_COMMAND: Tuple[str, ...] = (
    "sfncompile", "task", REF + STEP,
    "--run-id", REF + RUN,
    "--task-id", REF + TASK,
    "--attempt", REF + ATTEMPT,
)

# Defaults of the job definition's ``parameters``. Batch fills a ``Ref::`` the SubmitJob
# request leaves out from them ("Parameters in a SubmitJob request override any
# corresponding parameter defaults from the job definition":
# https://docs.aws.amazon.com/batch/latest/APIReference/API_JobDefinition.html), so a
# Task passes ``t`` and ``a`` only when they can differ from these: about 65 bytes less
# per step.
JOB_PARAMETER_DEFAULTS: Dict[str, str] = {TASK: ROOT_TASK_ID, ATTEMPT: "0"}


def job_parameters(step: str, run_id: str, task_id: str, attempt: int) -> Dict[str, str]:
    """A job's SubmitJob ``parameters`` (all strings, as Batch wants them)."""
    return {STEP: step, RUN: run_id, TASK: task_id, ATTEMPT: str(attempt)}


def fill_command(values: Mapping[str, str], literal: Callable[[str], str] = str) -> List[str]:
    """:data:`JOB_COMMAND` with each ``Ref::name`` replaced by ``values[name]``, as Batch does.

    ``literal`` renders the other words (the compiler quotes them as intrinsic-function
    literals, since its values are ASL expressions).
    """
    return [values[word[len(REF):]] if word.startswith(REF) else literal(word) for word in JOB_COMMAND]
