"""compile: a flow file -> Step Functions ASL JSON, offline (no AWS call).

The only command here that touches the disk: it reads the flow (and a config file)
and writes the JSON; the compiler itself stays pure.
"""
from __future__ import annotations

import json
import os
from typing import Dict, Optional

import click

from ..exceptions import ConfigError
from .graph_cmds import flow_option, load_graph


def _read_config(path: str) -> Dict[str, object]:
    try:
        with open(path, encoding="utf-8") as handle:
            config = json.load(handle)
    except OSError as exc:
        raise ConfigError(f"cannot read config file {path}: {exc.strerror}", fix="check the path given to --config")
    except json.JSONDecodeError as exc:
        raise ConfigError(
            f"config file {path} is not valid JSON (line {exc.lineno}: {exc.msg})",
            fix="rewrite it with `sfncompile configure --stack NAME`",
        )
    if not isinstance(config, dict):
        raise ConfigError(f"config file {path} must hold a JSON object", fix="run `sfncompile configure --stack NAME`")
    return config


@click.command("compile")
@click.argument("flow_file", type=click.Path(dir_okay=False))
@flow_option
@click.option("-o", "--output", type=click.Path(dir_okay=False), default=None, help="Write the JSON here (default: stdout).")
@click.option("--name", default=None, help="State machine name (default: the flow's class name); checked against AWS rules.")
@click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    default=None,
    help="Fill ${Placeholders} from this sfncompile config file (JobQueue, JobDefinition, MetadataTable, ...).",
)
@click.option("--compact", is_flag=True, help="Compact JSON (the canonical bytes deploy sends).")
@click.option("--stats", is_flag=True,
              help="Also print the size as deployed and a cost model: state transitions, Batch jobs, USD per run.")
@click.option("--items", default=10, show_default=True, type=click.IntRange(min=0),
              help="With --stats: items each foreach is assumed to have.")
def compile_cmd(
    flow_file: str,
    flow_name: Optional[str],
    output: Optional[str],
    name: Optional[str],
    config_path: Optional[str],
    compact: bool,
    stats: bool,
    items: int,
) -> None:
    """Compile a flow to an AWS Step Functions definition (Amazon States Language).

    \b
    sfncompile compile flow.py                   pretty JSON on stdout, ${Placeholders} kept
    sfncompile compile flow.py -o sm.json        to a file
    sfncompile compile flow.py --config cfg.json placeholders filled from the config file
    sfncompile compile flow.py --stats -o sm.json size, transitions, Batch jobs and cost per run
    """
    from ..compiler import DeploySettings, compile_flow, placeholders_in, to_json, to_pretty_json, values_from_config

    graph = load_graph(flow_file, flow_name)
    substitutions = values_from_config(_read_config(config_path), graph.name) if config_path else {}
    result = compile_flow(graph, DeploySettings(state_machine_name=name, substitutions=substitutions))
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if config_path:
        left = placeholders_in(result.definition)
        if left:
            click.echo(
                f"warning: {config_path} does not fill {', '.join('${' + p + '}' for p in left)}; "
                "deploy substitutes them (job definitions of @batch(image=...) steps, missing config keys)",
                err=True,
            )
    if stats:
        from ..compiler.cost import stats_lines

        for line in stats_lines(graph, result.definition, items):
            click.echo(line, err=True)
    text = to_json(result.definition) + "\n" if compact else to_pretty_json(result.definition)
    if output:
        directory = os.path.dirname(os.path.abspath(output))
        os.makedirs(directory, exist_ok=True)
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(text)
        click.echo(f"wrote {output} ({len(result.definition['States'])} top-level states, state machine {result.name})", err=True)
    else:
        click.echo(text, nl=False)


COMMANDS = [compile_cmd]
