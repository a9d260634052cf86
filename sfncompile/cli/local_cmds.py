"""`sfncompile run flow.py [--<param> value ...]` and `sfncompile resume flow.py`: local runs.

The flow's parameters become typed options of `run`: the command loads the flow
file named by its first argument before parsing the rest, so
`sfncompile run flow.py --help` lists them with their help text and defaults.
"""
from __future__ import annotations

import gc
import json
import sys
from typing import Any, Dict, List, Optional, Tuple

import click

from ..exceptions import ParameterError

RUN_OPTIONS = ("flow", "max-workers", "max_workers", "tag", "quiet", "help", "h", "with", "run-id-file", "run_id_file",
               "max-num-splits", "max_num_splits", "datastore", "environment", "local-only", "local_only",
               "branch", "production", "trigger-payload", "trigger_payload", "trigger-event", "trigger_event")


def _peek(args: List[str]) -> Tuple[Optional[str], Optional[str]]:
    """(flow file, --flow value) from raw arguments, before click parses them."""
    flow_file = None
    flow_name = None
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--flow" and i + 1 < len(args):
            flow_name = args[i + 1]
            i += 2
            continue
        if arg.startswith("--flow="):
            flow_name = arg.split("=", 1)[1]
        elif flow_file is None and not arg.startswith("-"):
            flow_file = arg
        i += 1
    return flow_file, flow_name


def _type_label(spec) -> str:
    return {"str": "TEXT", "int": "INTEGER", "float": "FLOAT", "bool": "BOOLEAN", "json": "JSON", "file": "PATH"}.get(
        spec.type, spec.type.upper()
    )


def _default_text(spec) -> Optional[str]:
    if spec.default is None:
        return None
    if spec.type == "json":
        return json.dumps(spec.default)
    if spec.type == "bool":
        return "true" if spec.default else "false"
    return str(spec.default)


def parameter_dest(name: str) -> str:
    """The click destination of a parameter's option (an identifier, even for `test-size`)."""
    return "param__" + name.replace("-", "_")


def supplied_parameters(graph, params: Dict[str, Any]) -> Dict[str, Any]:
    """Parameter values given on the command line, by parameter name."""
    names = {parameter_dest(spec.name): spec.name for spec in graph.parameters}
    return {names[k]: v for k, v in params.items() if k in names and v is not None}


def parameter_options(graph) -> List[click.Option]:
    options = []
    for spec in graph.parameters:
        dashed = spec.name.replace("_", "-")
        if spec.name in RUN_OPTIONS or dashed in RUN_OPTIONS:
            raise ParameterError(
                f"parameter '{spec.name}' clashes with the run option --{dashed}",
                fix="rename the parameter",
            )
        # `--learning-rate` and `--learning_rate` both name parameter learning_rate (and test-size).
        decls = list(dict.fromkeys([f"--{spec.name}", f"--{dashed}", f"--{spec.name.replace('-', '_')}"]))
        decls.append(parameter_dest(spec.name))
        help_text = spec.help or ""
        extra = []
        if spec.required and spec.default is None:
            extra.append("required")
        default = _default_text(spec)
        if default is not None:
            extra.append(f"default: {default}")
        if spec.is_file:
            extra.append("the file's content is stored with the run")
        if extra:
            help_text = f"{help_text} [{'; '.join(extra)}]".strip()
        kwargs: Dict[str, Any] = dict(default=None, help=help_text, metavar=_type_label(spec), show_default=False)
        if spec.type == "bool":
            kwargs.update(is_flag=False, flag_value="true")
        options.append(click.Option(decls, **kwargs))
    return options


class FlowFileCommand(click.Command):
    """A command whose options depend on the flow file given as its first argument."""

    def parse_args(self, ctx: click.Context, args: List[str]) -> List[str]:
        flow_file, flow_name = _peek(args)
        if flow_file and flow_file.endswith(".py") or (flow_file and _is_file(flow_file)):
            from ..graph import build_graph_from_file

            graph = build_graph_from_file(flow_file, flow_name)
            ctx.meta["sfncompile.graph"] = graph
            names = {p.name for p in self.params}
            for option in parameter_options(graph):
                if option.name not in names:
                    self.params.append(option)
        return super().parse_args(ctx, args)


def _is_file(path: str) -> bool:
    import os

    return os.path.isfile(path)


def _load(ctx: click.Context, flow_file: str, flow_name: Optional[str]):
    from ..graph import build_graph
    from ..graph.loader import load_flow_class

    flow_cls = load_flow_class(flow_file, flow_name)
    return flow_cls, build_graph(flow_cls)


common_options = [
    click.option("--flow", "flow_name", default=None, help="Class name, when the file defines several flows."),
    click.option("--max-workers", type=click.IntRange(1, 1024), default=None,
                 help="Tasks run in parallel at most (default: the number of CPUs)."),
    click.option("--tag", "tags", multiple=True, help="Tag the run (repeatable)."),
    click.option("--quiet", is_flag=True, help="Print only the summary."),
    click.option("--with", "with_decorators", multiple=True, metavar="DECORATOR[:k=v,...]",
                 help="Add a step decorator to every step that lacks it: --with retry:times=3 (retry, catch, "
                      "timeout, resources, environment, batch; repeatable). --with batch[:cpu=4,memory=16000,"
                      "queue=..,image=..] runs every step on AWS Batch."),
    click.option("--run-id-file", type=click.Path(dir_okay=False), default=None,
                 help="Write the new run's id to this file as soon as the run exists."),
    click.option("--max-num-splits", type=click.IntRange(1), default=None,
                 help="Fail a foreach that fans out wider than this (default: no limit)."),
    click.option("--datastore", type=click.Choice(["local", "s3"]), default=None,
                 help="Where the run's artifacts and metadata go: the local store, or the configured "
                      "AWS stores (S3 + DynamoDB; needs `sfncompile configure`). Default: the config's "
                      "run.datastore, else local; s3 whenever a step runs on AWS Batch."),
    click.option("--environment", type=click.Choice(["pypi", "conda", "local"]), default=None,
                 help="pypi / conda (Metaflow's spelling; the default here): steps with @pypi/@conda run in "
                      "their own environments. local: ignore @pypi/@conda and run every step in this "
                      "interpreter (e.g. to debug offline)."),
    click.option("--local-only", is_flag=True,
                 help="Run @batch steps on this machine instead of AWS Batch (and keep the local store)."),
]


def _with_common(func):
    for option in reversed(common_options):
        func = option(func)
    return func


def _with_run_options(func):
    from .event_cmds import run_options

    for option in reversed(run_options):
        func = option(func)
    return func


@click.command("run", cls=FlowFileCommand, context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("flow_file", type=click.Path(dir_okay=False))
@_with_common
@_with_run_options
@click.pass_context
def run(ctx: click.Context, flow_file: str, flow_name: Optional[str], branch: Optional[str], production: bool,
        trigger_payload: Optional[str], trigger_event: Optional[str], **options: Any) -> None:
    """Run a flow locally: `sfncompile run flow.py --alpha 0.3`.

    Parameters of the flow are options (see `sfncompile run flow.py --help`).
    Results: `sfncompile show Flow/run`, or `Run("Flow/run").data` in Python.
    """
    flow_cls, graph = _load(ctx, flow_file, flow_name)
    from .event_cmds import apply_run_options

    supplied = apply_run_options(graph, supplied_parameters(graph, options), branch, production, trigger_payload,
                                 trigger_event)
    common = {k: v for k, v in options.items() if not k.startswith("param__")}
    _execute(ctx, flow_cls, graph, parameters=supplied, **common)


@click.command("resume", context_settings={"help_option_names": ["-h", "--help"]})
@click.argument("flow_file", type=click.Path(dir_okay=False))
@click.argument("step_arg", metavar="[STEP]", required=False)
@click.option("--origin-run-id", default=None, help="The run to resume (default: the latest run in your namespace).")
@click.option("--step", "step", default=None, help="Run again from this step (default: from the failure); "
                                                    "the same as giving STEP after the flow file.")
@_with_common
@click.pass_context
def resume(ctx: click.Context, flow_file: str, step_arg: Optional[str], origin_run_id: Optional[str],
           step: Optional[str], flow_name: Optional[str], **common: Any) -> None:
    """Resume a failed run: a new run that reuses every task that succeeded before the failure.

    Reused tasks keep their artifacts (same stored data, nothing copied); the failed
    step and everything after it run again, with the origin run's parameters.
    """
    if step_arg and step and step_arg != step:
        raise click.UsageError(f"resume from {step_arg!r} or --step {step!r}, not both")
    flow_cls, graph = _load(ctx, flow_file, flow_name)
    _execute(ctx, flow_cls, graph, resume=True, origin_run_id=origin_run_id, resume_step=step_arg or step, **common)


def _execute(ctx: click.Context, flow_cls, graph, *, max_workers, tags, quiet, with_decorators=(), run_id_file=None,
             max_num_splits=None, datastore=None, environment=None, parameters=None, resume=False, origin_run_id=None,
             resume_step=None, local_only=False) -> None:
    from ..graph.attach import attach_decorators
    from ..hybrid import remote_steps, require_config
    from ..local.output import Reporter
    from ..local.scheduler import LocalRunner

    graph = attach_decorators(graph, with_decorators)
    reporter = Reporter(sys.stdout, quiet=False)
    remote = remote_steps(graph)
    if remote and local_only:
        reporter.line(f"--local-only: {', '.join(remote)} (@batch) run on this machine, not on AWS Batch")
        remote = []
    if remote and datastore == "local":
        raise click.UsageError(f"--datastore local: {', '.join(remote)} run on AWS Batch, whose jobs store "
                               "their results in S3; drop --datastore local, or pass --local-only")
    config = require_config(graph, remote) if remote else None
    if datastore is None and not remote:
        from ..aws.config import run_datastore

        datastore = run_datastore()
    if datastore == "s3" or remote:  # Batch jobs read and write the AWS stores
        _use_aws_stores(config)

    runner = LocalRunner(
        flow_cls,
        graph,
        parameters=parameters,
        max_workers=max_workers,
        tags=tags,
        reporter=reporter,
        resume=resume,
        origin_run_id=origin_run_id,
        resume_step=resume_step,
        max_num_splits=max_num_splits,
        use_environments=environment != "local",
    )
    if quiet:
        runner.reporter.quiet = True
        runner.settings.echo = False
    runner.restore_signals = False  # the command ends with the run
    if remote:
        runner.remote = _batch_executor(runner, graph, config, remote, with_decorators)
    runner.prepare()
    if run_id_file:
        with open(run_id_file, "w", encoding="utf-8") as handle:
            handle.write(runner.run_id)
    # Everything made so far lives until the command ends: frozen, the collector never scans it again,
    # and the template process forked next finds nothing to collect before it forks the first task.
    gc.freeze()
    outcome = runner.run()
    if quiet:
        click.echo(f"{outcome.flow}/{outcome.run_id} {outcome.status}")
    ctx.exit(outcome.exit_code)


def _batch_executor(runner, graph, config, steps, with_decorators):
    """The executor that runs ``steps`` as Batch jobs (their code and environments uploaded first)."""
    from ..hybrid.plan import plan_hybrid

    reporter = runner.reporter

    def show(job, line: str) -> None:
        reporter.task_note(job.pathspec, job.pathspec.split("/")[2], line)

    return plan_hybrid(graph, config, steps, max_workers=runner.max_workers, say=reporter.line, show=show,
                       echo_logs=runner.settings.echo, username=runner.username, namespace=runner.namespace,
                       with_decorators=with_decorators)


def _use_aws_stores(config=None) -> None:
    """--datastore s3: this process and its workers use the configured S3 bucket and DynamoDB table."""
    import os

    from ..aws import config as cfg
    from ..client import backend
    from ..storage.factory import reset_stores

    config = config or cfg.load_config()
    os.environ["SFNCOMPILE_DATASTORE"] = cfg.datastore_url(config)
    os.environ["SFNCOMPILE_METADATA"] = cfg.metadata_url(config)
    if config.get("region"):
        os.environ.setdefault("AWS_DEFAULT_REGION", config["region"])
    reset_stores()
    backend.reset()


COMMANDS = [run, resume]
