"""`sfncompile task STEP --run-id R --task-id T --attempt N`: run ONE task (the Batch job's command).

Static settings come from the environment (see docs/internals.md): the flow file
(``SFNCOMPILE_FLOW_FILE``, or the deployed code package ``SFNCOMPILE_CODE_URL``),
the stores (``SFNCOMPILE_DATASTORE`` / ``SFNCOMPILE_METADATA``), the namespace and
user. Exit code 0 when the task succeeded (or @catch caught its failure), else 1.

This is the click face of the command (its --help, its usage errors, ``sfncompile --debug
task ...``); a well-formed command runs ``task_run.run`` without click (``main.main``).
"""
from __future__ import annotations

from typing import Any, Callable

import click

from .task_run import ATTEMPT, OPTIONS, run


def _with_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """``command`` with the task's options, in ``OPTIONS``' order."""
    for flag, name, help_text, required in reversed(OPTIONS):
        if name == ATTEMPT:
            command = click.option(flag, name, type=click.IntRange(0), default=0, show_default=True,
                                   help=help_text)(command)
        else:
            # A required option gets no default (click reads an explicit None as a given default).
            presence = {"required": True} if required else {"default": None}
            command = click.option(flag, name, help=help_text, **presence)(command)
    return command


# A function of its own: click keeps its parameters on the function it decorates.
task = click.command("task", hidden=True, help=run.__doc__)(click.argument("step")(_with_options(lambda **kw: run(**kw))))

COMMANDS = [task]
