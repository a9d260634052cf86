"""AWS commands: configure, deploy, trigger, terminate, redrive, deployments, delete."""
from __future__ import annotations

import functools
import os
import sys
from datetime import datetime
from typing import Any, Callable, List, Optional, Tuple

import click

from .output import emit_json, json_option


def aws_options(func: Callable[..., Any]) -> Callable[..., Any]:
    """``--profile`` and ``--config`` for a command that talks to AWS (set before any client is made)."""

    @click.option("--profile", default=None, help="AWS profile to use (default: AWS_PROFILE / the default profile).")
    @click.option("--config", "config_file", default=None, type=click.Path(dir_okay=False),
                  help="sfncompile config file (default: $SFNCOMPILE_CONFIG or ~/.sfncompile/config.json).")
    @functools.wraps(func)
    def wrapper(*args: Any, profile: Optional[str], config_file: Optional[str], **kwargs: Any) -> Any:
        if profile:
            os.environ["AWS_PROFILE"] = profile
        if config_file:
            os.environ["SFNCOMPILE_CONFIG"] = os.path.abspath(config_file)
        if profile or config_file:
            from ..aws.session import reset_clients

            reset_clients()
        return func(*args, **kwargs)

    return wrapper


def _split_pathspec(pathspec: str) -> Tuple[str, str]:
    parts = pathspec.strip("/").split("/")
    if len(parts) != 2 or not all(parts):
        raise click.UsageError(f"expected Flow/run_id, got {pathspec!r}")
    return parts[0], parts[1]


@click.command("configure")
@click.option("--stack", required=True, help="Name of the deployed infra stack, e.g. sfncompile-dev.")
@click.option("--region", default=None, help="AWS region of the stack (default: your AWS configuration's).")
@click.option("--config-file", default=None, help="Where to write the config (default: $SFNCOMPILE_CONFIG or ~/.sfncompile/config.json).")
@click.option("--profile", default=None, help="AWS profile to use (default: AWS_PROFILE / the default profile).")
def configure(stack: str, region: Optional[str], config_file: Optional[str], profile: Optional[str]) -> None:
    """Read the infra stack's outputs into sfncompile's config file.

    Keys set there by hand (run, architecture, image_python, endpoint_url) are kept.
    """
    from ..aws.configure import configure_from_stack

    if profile:
        os.environ["AWS_PROFILE"] = profile
    from ..aws.config import HAND_SET_KEYS

    path, config = configure_from_stack(stack, region=region, path=config_file)
    kept = [key for key in HAND_SET_KEYS if key in config]
    click.echo(f"wrote {path}: bucket {config['bucket']}, table {config['table']}, region {config['region']}"
               + (f" (kept {', '.join(kept)}, set by hand)" if kept else ""))


@click.command("deploy")
@click.argument("flow_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--flow", "flow_name", default=None, help="Class name, when the file defines several flows.")
@click.option("--name", default=None, help="State machine name (default: <stack prefix><Flow>).")
@click.option("--tag", "tags", multiple=True, help="Tag the state machine: --tag team=ml (repeatable).")
@click.option("--include", "include", multiple=True,
              help="Also package files matching this glob (repeatable); Python sources always go in.")
@click.option("--dry-run", is_flag=True, help="Check, compile and package; change nothing on AWS.")
@click.option("--branch", default=None, help="@project flows: deploy branch test.<BRANCH> (default: user.<you>).")
@click.option("--production", is_flag=True, help="@project flows: deploy the production branch (prod).")
@click.option("--authorize", default=None, metavar="TOKEN",
              help="The production token of a production deployment someone else created.")
@click.option("--generate-new-token", is_flag=True, help="With --production: replace the production token.")
@aws_options
def deploy_cmd(flow_file: str, flow_name: Optional[str], name: Optional[str], tags: Tuple[str, ...],
               include: Tuple[str, ...], dry_run: bool, branch: Optional[str], production: bool,
               authorize: Optional[str], generate_new_token: bool) -> None:
    """Deploy a flow: code package to S3, job definition, state machine, schedule, triggers."""
    from ..aws.deploy import deploy, parse_tags

    if (authorize or generate_new_token) and not production:
        raise click.UsageError("--authorize and --generate-new-token go with --production")
    # Each action is printed once, from the result; only a dry run narrates what it would do.
    result = deploy(flow_file, flow_name=flow_name, name=name, tags=parse_tags(list(tags)), include=include,
                    dry_run=dry_run, say=(lambda m: click.echo(m, err=True)) if dry_run else (lambda _m: None),
                    branch=branch, production=production, authorize=authorize,
                    generate_new_token=generate_new_token)
    if result.production_token:
        click.echo(f"production token of {result.name}: {result.production_token}\n"
                   f"  others deploy over this production deployment with --authorize {result.production_token}")
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if result.definition is not None:
        from ..compiler.cost import stats_lines
        from .graph_cmds import load_graph

        for line in stats_lines(load_graph(flow_file, flow_name), result.definition):
            click.echo(line, err=True)
    if dry_run:
        click.echo(f"dry run: nothing changed; state machine would be {result.state_machine_arn}")
        return
    if result.changed:
        for change in result.changes:
            click.echo(f"  {change}")
        click.echo(f"deployed {result.state_machine_arn}")
    else:
        click.echo(f"unchanged: {result.state_machine_arn} is up to date")


@click.command("trigger", context_settings={"ignore_unknown_options": True, "allow_extra_args": True})
@click.argument("flow")
@click.option("--name", default=None, help="Deployment (state machine) name, if not the default.")
@click.option("--tag", "tags", multiple=True, help="Tag the run (repeatable).")
@click.option("--wait", is_flag=True, help="Follow the run until it ends; exit 1 if it fails.")
@click.option("--poll", "poll_seconds", type=click.FloatRange(0.05, 60), default=2.0, show_default=True,
              help="With --wait: seconds between progress checks.")
@aws_options
@click.pass_context
def trigger_cmd(ctx: click.Context, flow: str, name: Optional[str], tags: Tuple[str, ...], wait: bool,
                poll_seconds: float) -> None:
    """Start a deployed flow: sfncompile trigger TrainFlow --alpha 0.3 [--wait].

    Parameters are checked against the flow's JSON Schema before anything starts.
    """
    from ..aws.trigger import parse_parameter_args, trigger, wait_for

    from ..aws.progress import console_url

    triggered = trigger(flow, parse_parameter_args(list(ctx.args)), name=name, tags=list(tags))
    click.echo(f"started {flow}/{triggered.run_id}")
    click.echo(f"  console: {console_url(triggered.execution_arn)}", err=True)
    if wait:
        status = wait_for(triggered, poll_seconds=poll_seconds, say=lambda m: click.echo(m, err=True))
        click.echo(f"{flow}/{triggered.run_id}: {status}")
        if status != "SUCCEEDED":
            _explain_failure(flow, triggered.run_id)
            sys.exit(1)


def _explain_failure(flow: str, run_id: str) -> None:
    """Name the failed tasks by their real pathspecs, with the command that shows their error."""
    from ..aws import config as cfg
    from ..aws.progress import failed_pathspecs

    metadata = cfg.stores(cfg.load_config()).metadata
    run = metadata.get_run(flow, run_id) or {}
    failed = failed_pathspecs(flow, run_id, metadata.list_tasks(flow, run_id))
    for pathspec in failed:
        click.echo(f"failed: {pathspec}: see `sfncompile logs {pathspec} --stderr`", err=True)
    if not failed and run.get("failed_step"):
        click.echo(f"failed in step {run['failed_step']} before its task recorded anything: "
                   f"see `sfncompile show {flow}/{run_id}`", err=True)


@click.command("terminate")
@click.argument("pathspec")
@click.option("--name", default=None,
              help="Deployment name (default: the stage's, or your branch's for a @project flow).")
@aws_options
def terminate_cmd(pathspec: str, name: Optional[str]) -> None:
    """Stop a running Step Functions run (Flow/sfn-...)."""
    from ..aws.executions import terminate

    flow, run_id = _split_pathspec(pathspec)
    terminate(flow, run_id, name=name)
    click.echo(f"terminated {flow}/{run_id}")


@click.command("redrive")
@click.argument("pathspec")
@click.option("--name", default=None,
              help="Deployment name (default: the stage's, or your branch's for a @project flow).")
@aws_options
def redrive_cmd(pathspec: str, name: Optional[str]) -> None:
    """Redrive a failed Step Functions run: finished tasks are not run again."""
    from ..aws.executions import redrive

    flow, run_id = _split_pathspec(pathspec)
    redrive(flow, run_id, name=name)
    click.echo(f"redriving {flow}/{run_id}")


@click.command("deployments")
@json_option
@aws_options
def deployments_cmd(as_json: bool) -> None:
    """List deployed flows (state machines tagged by sfncompile) and their schedules."""
    from ..aws import config as cfg
    from ..aws.schedule import describe_schedule
    from ..aws.session import client
    from ..aws.statemachine import list_deployments

    config = cfg.load_config()
    from .client_cmds import _table

    machines = list_deployments(client("stepfunctions", config), config.get("state_machine_prefix", ""))
    scheduler = client("scheduler", config)
    rows = []
    for m in machines:
        created = m.get("creationDate")
        rows.append({"flow": m["flow"], "state_machine": m["name"], "arn": m.get("stateMachineArn"),
                     "schedule": describe_schedule(scheduler, m["name"]),
                     "created": created.isoformat() if isinstance(created, datetime) else created})
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("no deployed flows: `sfncompile deploy flow.py`")
        return
    click.echo(_table([[r["flow"], r["state_machine"], r["schedule"] or "no schedule", str(r["created"] or "-")[:16].replace("T", " ")]
                       for r in rows], ["FLOW", "STATE MACHINE", "SCHEDULE", "CREATED"]))


@click.command("delete")
@click.argument("flow")
@click.option("--name", default=None,
              help="Deployment name (default: the stage's, or your branch's for a @project flow).")
@click.confirmation_option(prompt="Delete the state machine and schedule? (runs and artifacts stay)")
@aws_options
def delete_cmd(flow: str, name: Optional[str]) -> None:
    """Delete a deployed flow's state machine and schedule; its runs and artifacts stay."""
    from ..aws.executions import delete_deployment

    removed = delete_deployment(flow, name=name)
    what: List[str] = [k.replace("_", " ") for k, v in removed.items() if v]
    click.echo(f"deleted {', '.join(what) or 'deploy manifest'} of {flow}; runs and artifacts are kept")


COMMANDS = [configure, deploy_cmd, trigger_cmd, terminate_cmd, redrive_cmd, deployments_cmd, delete_cmd]
