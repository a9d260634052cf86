"""The task command without click: its options, a parser for the Batch job's well-formed command, its body.

Every Batch job runs ``sfncompile task STEP --run-id R --task-id T --attempt N`` and pays for
each import before its step's code runs; click and the command group cost a task ~10 ms of
CPU. ``parse`` accepts exactly the well-formed commands click would accept and reads them
the way click would; anything else (``--help``, a missing or unknown option, a bad value)
gets ``None`` and goes through click (``task_cmd``), so help and usage errors are click's.
The click command is built from ``OPTIONS`` too: one list of the command's options.
"""
from __future__ import annotations

import os
import sys
from typing import Dict, List, Optional, Tuple

# (flag, parameter, help, required); `--attempt` is the one integer (>= 0, default 0).
OPTIONS: Tuple[Tuple[str, str, str, bool], ...] = (
    ("--run-id", "run_id", "The run this task belongs to.", True),
    ("--task-id", "task_id", "The task id (0, 3, 3.1, v2, ...).", True),
    ("--attempt", "attempt", "0-based retry count.", False),
    ("--flow-file", "flow_file", "The flow file (default: $SFNCOMPILE_FLOW_FILE).", False),
    ("--flow", "flow_name", "Class name, when the file defines several flows.", False),
    ("--params-json", "params_json", "Parameter values as JSON (the start task of a new run).", False),
    ("--execution-arn", "execution_arn", "The Step Functions execution whose input holds the run's parameters "
     "(the start task on AWS: read with states:DescribeExecution).", False),
    ("--environment", "env_id", "Run inside this package environment (built from the datastore's wheels, offline).",
     False),
)
ATTEMPT = "attempt"
_BY_FLAG = {flag: (name, required) for flag, name, _, required in OPTIONS}


def parse(args: List[str]) -> Optional[Dict[str, object]]:
    """``run``'s keyword arguments from the words after ``task``, or None for anything but a
    well-formed command (click then parses it and says what is wrong, or prints the help)."""
    values: Dict[str, object] = {name: None for _, name, _, _ in OPTIONS}
    positional: List[str] = []
    words = iter(args)
    for word in words:
        if word == "--":
            positional.extend(words)
        elif word.startswith("-") and word != "-":
            flag, has_value, inline = word.partition("=")
            if flag not in _BY_FLAG:  # --help, -h, an unknown or abbreviated option: click's to answer
                return None
            value = inline if has_value else next(words, None)
            if value is None:
                return None
            values[_BY_FLAG[flag][0]] = value  # given twice, the last one counts (as in click)
        else:
            positional.append(word)
    if len(positional) != 1 or any(values[name] is None for name, required in _BY_FLAG.values() if required):
        return None
    attempt = values[ATTEMPT]
    if attempt is None:
        values[ATTEMPT] = 0
    elif isinstance(attempt, str) and attempt.isascii() and attempt.isdigit():
        values[ATTEMPT] = int(attempt)
    else:
        return None
    values["step"] = positional[0]
    return values


def run(step: str, run_id: str, task_id: str, attempt: int, flow_file: Optional[str], flow_name: Optional[str],
        params_json: Optional[str], execution_arn: Optional[str], env_id: Optional[str]) -> None:
    """Run one task of a flow (what each Batch job, and a local worker, does)."""
    from ..exceptions import ConfigError
    from ..graph import build_graph
    from ..graph.attach import attach_from_environment
    from ..graph.loader import load_flow_class
    from ..runtime.artifacts import pickle_flow_module_by_value
    from ..runtime.params import parameters_from_json
    from ..runtime.scheduler_watch import watch_from_env
    from ..runtime.task import TaskSettings, run_task
    from ..storage.factory import open_stores

    if params_json is not None and execution_arn is not None:
        raise ConfigError("the task got the run's parameters twice: --params-json and --execution-arn",
                          fix="pass one of them (a compiled start step passes --execution-arn)")
    stores = open_stores()
    if env_id:
        from ..environments import bootstrap

        if not bootstrap.running_in(env_id):
            python = bootstrap.prepare(stores.objects, env_id, _say)
            argv = ["task", step, "--run-id", run_id, "--task-id", task_id, "--attempt", str(attempt)]
            for option, value in (("--flow-file", flow_file), ("--flow", flow_name), ("--params-json", params_json),
                                  ("--execution-arn", execution_arn)):
                if value is not None:
                    argv += [option, value]
            bootstrap.reexec(python, env_id, [*argv, "--environment", env_id])
    packaged = None
    if os.environ.get("SFNCOMPILE_CODE_URL"):
        from ..runtime.code_package import flow_file_from_package

        packaged = flow_file_from_package(stores.artifacts)
    flow_file = flow_file or packaged or os.environ.get("SFNCOMPILE_FLOW_FILE")
    if not flow_file:
        raise ConfigError("no flow file: pass --flow-file or set SFNCOMPILE_FLOW_FILE")
    flow_cls = load_flow_class(flow_file, flow_name or os.environ.get("SFNCOMPILE_FLOW"))
    graph = attach_from_environment(build_graph(flow_cls))  # a hybrid run's --with decorators
    pickle_flow_module_by_value(flow_cls)
    run_params = parameters_from_json(params_json)
    if step == "start":
        from ..runtime.run_context import admit_start_task

        if execution_arn is not None:
            from ..runtime.execution_input import execution_parameters

            run_params = execution_parameters(execution_arn)
        run_params, rejected = admit_start_task(graph, stores.objects, run_id, run_params)
        if rejected:  # recorded as a rejected trigger; nothing runs and no run is created
            _say(f"[{graph.name}/{run_id}] trigger rejected: {rejected} "
                 f"(see `sfncompile event rejected {graph.name}`)")
            sys.exit(1)
    watch = watch_from_env(stores.metadata, graph.name, run_id)  # a hybrid run's job: is its scheduler alive?
    result = run_task(
        flow_cls,
        graph,
        step,
        run_id,
        task_id,
        attempt,
        stores=stores,
        # A hybrid run's scheduler prints the failure itself (SFNCOMPILE_ECHO_TRACEBACK=0): not twice.
        settings=TaskSettings.from_env(echo=True, echo_traceback=os.environ.get("SFNCOMPILE_ECHO_TRACEBACK") != "0"),
        run_params=run_params,
    )
    if watch is not None:
        watch.stop()
    sys.stdout.flush()
    sys.exit(0 if result.ok else 1)


def _say(message: str) -> None:
    """A line for the person reading the job's log (stderr, as click.echo(err=True) wrote it)."""
    print(message, file=sys.stderr, flush=True)
