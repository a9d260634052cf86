"""`sfncompile task STEP --run-id R --task-id T --attempt N`: run ONE task (the Batch job's command).

Static settings come from the environment (see docs/internals.md): the flow file
(``SFNCOMPILE_FLOW_FILE``, or the deployed code package ``SFNCOMPILE_CODE_URL``),
the stores (``SFNCOMPILE_DATASTORE`` / ``SFNCOMPILE_METADATA``), the namespace and
user. Exit code 0 when the task succeeded (or @catch caught its failure), else 1.
"""
from __future__ import annotations

import os
import sys
from typing import Optional

import click


@click.command("task", hidden=True)
@click.argument("step")
@click.option("--run-id", required=True, help="The run this task belongs to.")
@click.option("--task-id", required=True, help="The task id (0, 3, 3.1, v2, ...).")
@click.option("--attempt", type=click.IntRange(0), default=0, show_default=True, help="0-based retry count.")
@click.option("--flow-file", default=None, help="The flow file (default: $SFNCOMPILE_FLOW_FILE).")
@click.option("--flow", "flow_name", default=None, help="Class name, when the file defines several flows.")
@click.option("--params-json", default=None, help="Parameter values as JSON (the start task of a new run).")
@click.option("--environment", "env_id", default=None,
              help="Run inside this package environment (built from the datastore's wheels, offline).")
def task(step: str, run_id: str, task_id: str, attempt: int, flow_file: Optional[str], flow_name: Optional[str],
         params_json: Optional[str], env_id: Optional[str]) -> None:
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

    stores = open_stores()
    if env_id:
        from ..environments import bootstrap

        if not bootstrap.running_in(env_id):
            python = bootstrap.prepare(stores.objects, env_id, lambda m: click.echo(m, err=True))
            argv = ["task", step, "--run-id", run_id, "--task-id", task_id, "--attempt", str(attempt)]
            for option, value in (("--flow-file", flow_file), ("--flow", flow_name), ("--params-json", params_json)):
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

        run_params, rejected = admit_start_task(graph, stores.objects, run_id, run_params)
        if rejected:  # recorded as a rejected trigger; nothing runs and no run is created
            click.echo(f"[{graph.name}/{run_id}] trigger rejected: {rejected} "
                       f"(see `sfncompile event rejected {graph.name}`)", err=True)
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


COMMANDS = [task]
