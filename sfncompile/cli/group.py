"""The click group of every command: sections in --help, errors for people, lazy command registration."""
from __future__ import annotations

import importlib
from typing import Any, List, Optional, Set

import click

from .. import __version__
from ..exceptions import SfnCompileError
from .main import error_line


# `--help` lists commands in these sections, in this order; any other visible command goes last.
SECTIONS = (
    ("Run locally", ("run", "resume", "check", "show", "graph")),
    ("Read results", ("runs", "logs", "dump", "tag")),
    ("AWS Step Functions", ("compile", "configure", "deploy", "trigger", "terminate", "redrive", "deployments",
                            "delete", "event", "step-functions")),
)


class Group(click.Group):
    """Prints sfncompile's own errors as one readable message (the stack only with --debug);
    lists commands by section with their whole summary line."""

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        visible = {n: c for n, c in ((n, self.get_command(ctx, n)) for n in self.list_commands(ctx))
                   if c is not None and not c.hidden}
        placed: Set[str] = set()
        for title, names in SECTIONS + (("Other", tuple(sorted(visible))),):
            rows = [(n, visible[n].get_short_help_str(limit=200)) for n in names if n in visible and n not in placed]
            placed.update(n for n, _ in rows)
            if rows:
                with formatter.section(title):
                    formatter.write_dl(rows)

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except SfnCompileError as exc:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            click.echo(error_line(exc), err=True)
            ctx.exit(1)


# Commands that must start quickly load only their own module (`check` of a flow is meant
# to take about 0.3 s, a Batch task pays for every import); any other name, and `--help`,
# load them all.
_OWN_MODULE = {"check": "graph_cmds", "show": "graph_cmds", "graph": "graph_cmds", "compile": "compile_cmds",
               "run": "local_cmds", "resume": "local_cmds", "task": "task_cmd"}


class LazyGroup(Group):
    """The top-level group: command modules are imported when a command of theirs is needed."""

    def list_commands(self, ctx: click.Context) -> List[str]:
        _register()
        return super().list_commands(ctx)

    def get_command(self, ctx: click.Context, cmd_name: str) -> Optional[click.Command]:
        if cmd_name not in self.commands:
            module = _OWN_MODULE.get(cmd_name)
            if module is not None:
                for command in importlib.import_module(f"{__package__}.{module}").COMMANDS:
                    self.add_command(command)
            if cmd_name not in self.commands:
                _register()
        return super().get_command(ctx, cmd_name)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show full stack traces for errors.")
@click.version_option(version=__version__, prog_name="sfncompile")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Write flows the Metaflow way; run them locally or on AWS Step Functions + Batch.

    \b
    Local:   sfncompile run examples/hello.py
    Inspect: sfncompile show flow.py | sfncompile graph flow.py --format mermaid
    AWS:     sfncompile compile flow.py -o sm.json | deploy flow.py | trigger Flow
    Results: sfncompile runs Flow | show Flow/run | logs Flow/run/step/task | dump ...
    Look:    sfncompile ui --open | card view Flow/run/step/task
    """
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@click.command("version")
def version() -> None:
    """Print sfncompile's version."""
    from .. import __version__

    click.echo(f"sfncompile {__version__}")


def _register() -> None:
    """Add every command (idempotent: click keeps one command per name)."""
    from . import (aws_cmds, client_cmds, compile_cmds, event_cmds, graph_cmds, image_cmds, local_cmds, tag_cmds,
                   task_cmd, ui_cmds)

    cli.add_command(version)
    for module in (graph_cmds, local_cmds, client_cmds, tag_cmds, compile_cmds, aws_cmds, event_cmds, image_cmds,
                   task_cmd, ui_cmds):
        for command in module.COMMANDS:
            cli.add_command(command)


cli.add_command(version)
