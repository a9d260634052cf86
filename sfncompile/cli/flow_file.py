"""`python flow.py <command> ...`: the flow file is its own CLI (the Metaflow habit).

The flow file gets a command group of its own, named after the file, holding only
the commands that make sense for one flow. Each maps onto the `sfncompile` command
of the same name with the file (or the flow's name) filled in, so
`python flow.py logs 123/train/0` is `sfncompile logs TrainFlow/123/train/0`.
`python flow.py step-functions create|trigger|list-runs|terminate|delete` are
Metaflow's names for `deploy`, `trigger`, `runs`, `terminate` and `delete`.
"""
from __future__ import annotations

import os
import sys
from typing import Dict, List, Optional

import click

# Commands that take the flow file as their first argument.
FILE_COMMANDS = ("run", "resume", "check", "show", "graph", "compile", "deploy")
# Commands that take a pathspec below the flow (RUN/STEP/TASK), or the flow's name.
PATHSPEC_COMMANDS = ("logs", "dump")
NAME_COMMANDS = ("trigger", "runs", "delete")
OTHER_COMMANDS = ("tag", "version", "step-functions")
FLOW_COMMANDS = FILE_COMMANDS + PATHSPEC_COMMANDS + NAME_COMMANDS + OTHER_COMMANDS

# Metaflow's `step-functions` subcommands -> our command.
STEP_FUNCTIONS = {"create": "deploy", "trigger": "trigger", "list-runs": "runs", "terminate": "terminate",
                  "delete": "delete"}


def _under_flow(class_name: str, pathspec: str) -> str:
    """``123/train/0`` → ``Flow/123/train/0`` (a pathspec already naming the flow is kept)."""
    pathspec = pathspec.strip("/")
    return pathspec if pathspec.split("/")[0] == class_name else f"{class_name}/{pathspec}"


def _tag_args(class_name: str, rest: List[str]) -> List[str]:
    """``add --run-id R t1 t2`` → ``add Flow/R t1 t2``; no ``--run-id``: the flow's latest run."""
    if not rest or rest[0].startswith("-"):
        return rest
    sub, args = rest[0], list(rest[1:])
    run_id = None
    for i, arg in enumerate(args):
        if arg == "--run-id" and i + 1 < len(args):
            run_id = args[i + 1]
            del args[i:i + 2]
            break
        if arg.startswith("--run-id="):
            run_id = arg.split("=", 1)[1]
            del args[i]
            break
    return [sub, f"{class_name}/{run_id}" if run_id else class_name, *args]


def _step_functions_args(flow_file: str, class_name: str, rest: List[str]) -> List[str]:
    if not rest or rest[0] not in STEP_FUNCTIONS:
        raise click.UsageError(f"step-functions takes one of: {', '.join(STEP_FUNCTIONS)}")
    native, ours, args = rest[0], STEP_FUNCTIONS[rest[0]], rest[1:]
    click.echo(f"note: `step-functions {native}` is `sfncompile {ours}` here", err=True)
    if ours == "deploy":
        return [ours, flow_file, "--flow", class_name, *args]
    if ours == "terminate":
        run_id = args[0] if args else ""
        return [ours, _under_flow(class_name, run_id), *args[1:]]
    return [ours, class_name, *args]


def argv_for_flow(flow_file: str, class_name: str, argv: List[str]) -> List[str]:
    """The `sfncompile` arguments a flow file's command line stands for."""
    command, rest = argv[0], argv[1:]
    if command in FILE_COMMANDS:
        return [command, flow_file, "--flow", class_name, *rest]
    if command in PATHSPEC_COMMANDS:
        if rest and not rest[0].startswith("-"):
            return [command, _under_flow(class_name, rest[0]), *rest[1:]]
        return [command, *rest]
    if command in NAME_COMMANDS:
        return [command, class_name, *rest]
    if command == "tag":
        return [command, *_tag_args(class_name, rest)]
    if command == "step-functions":
        return _step_functions_args(flow_file, class_name, rest)
    return [command, *rest]


def _forwarder(flow_file: str, class_name: str, name: str, help_text: str) -> click.Command:
    """A stub that hands its raw arguments (``--help`` included) to the `sfncompile` command they stand for."""

    @click.pass_context
    def callback(ctx: click.Context) -> None:
        from .main import main

        debug = ["--debug"] if (ctx.find_root().obj or {}).get("debug") else []
        main(debug + argv_for_flow(flow_file, class_name, [name, *ctx.args]))

    return click.Command(
        name, callback=callback, help=help_text, short_help=help_text.split("\n")[0],
        context_settings={"ignore_unknown_options": True, "allow_extra_args": True, "help_option_names": []},
        add_help_option=False,
    )


def flow_group(flow_file: str, class_name: str) -> click.Group:
    """The flow file's own command group: only its commands; `Usage: flow.py ...` in help."""
    from .group import Group, cli

    known = {name: cli.get_command(None, name) for name in FLOW_COMMANDS}  # type: ignore[arg-type]
    commands: Dict[str, click.Command] = {
        name: _forwarder(flow_file, class_name, name, command.get_short_help_str(limit=300))
        for name, command in known.items() if command is not None
    }
    commands["step-functions"] = _forwarder(
        flow_file, class_name, "step-functions",
        "Metaflow's names: create|trigger|list-runs|terminate|delete (our deploy, trigger, runs, terminate, delete).",
    )
    name = os.path.basename(flow_file)
    return Group(
        name=name,
        commands=commands,
        params=list(cli.params),
        callback=cli.callback,
        help=f"{class_name}: this flow file's commands (`python {name} COMMAND --help` for one).",
        context_settings=cli.context_settings,
    )


# Metaflow's top-level options that are options of `run`/`resume` here (moved after the command).
HOISTED_WITH_VALUE = ("--with", "--datastore")
HOISTED_FLAGS = ("--quiet",)
IGNORED_FLAGS = ("--no-pylint", "--pylint")  # Metaflow lints flows with pylint; `check` is ours


def hoist_top_level_options(args: List[str]) -> List[str]:
    """``--with retry --quiet run --alpha 1`` → ``run --alpha 1 --with retry --quiet``."""
    kept: List[str] = []
    moved: List[str] = []
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        if arg.split("=", 1)[0] in HOISTED_WITH_VALUE:
            step = 1 if "=" in arg else 2
            moved += args[i:i + step]
            i += step
            continue
        if arg in HOISTED_FLAGS:
            moved.append(arg)
        elif arg not in IGNORED_FLAGS:
            kept.append(arg)  # --debug, --help, --version: the group's own
        i += 1
    if i >= len(args):
        return kept + moved  # no command: click shows help or says what is missing
    return [*kept, args[i], *args[i + 1:], *moved]


def main_for_flow_class(flow_cls: type, argv: Optional[List[str]] = None) -> None:
    import inspect

    flow_file = inspect.getfile(flow_cls)
    args = hoist_top_level_options(sys.argv[1:] if argv is None else argv)
    group = flow_group(flow_file, flow_cls.__name__)
    group.main(args=args or ["--help"], prog_name=os.path.basename(flow_file), standalone_mode=True)
