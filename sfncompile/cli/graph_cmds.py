"""check / show (a flow file) / graph: the static graph, no execution."""
from __future__ import annotations

import os
from typing import Optional

import click

flow_option = click.option("--flow", "flow_name", default=None, help="Class name, when the file defines several flows.")


def load_graph(path: str, flow_name: Optional[str]):
    from ..graph import build_graph_from_file

    return build_graph_from_file(path, flow_name)


@click.command("check")
@click.argument("flow_file", type=click.Path(dir_okay=False))
@flow_option
@click.option("--compute", type=click.Choice(["fargate", "ec2", "ec2-gpu"]), default=None,
              help="Also reject step sizes (@resources) that this kind of Batch compute cannot run.")
def check(flow_file: str, flow_name: Optional[str], compute: Optional[str]) -> None:
    """Check a flow's graph and decorators; print a one-line summary or the first error."""
    from ..compiler.compute import Compute, check_compute, compute_notes, kubernetes_warnings

    graph = load_graph(flow_file, flow_name)
    if compute:
        check_compute(graph, Compute(compute))
    kinds = {}
    for node in graph:
        kinds[node.kind] = kinds.get(node.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    click.echo(f"{graph.name}: OK ({len(graph)} steps: {summary}; {len(graph.parameters)} parameters)")
    for warning in kubernetes_warnings(graph):
        click.echo(f"note: {warning}", err=True)
    if not compute:
        for note in compute_notes(graph):
            click.echo(note, err=True)


@click.command("show")
@click.argument("target")
@flow_option
def show(target: str, flow_name: Optional[str]) -> None:
    """Show a flow file's graph as text, or a run's status per step (Flow/run).

    \b
    sfncompile show flow.py          the steps, transitions, decorators, parameters
    sfncompile show TrainFlow/123    status per step of a run
    """
    if target.endswith(".py") or os.path.isfile(target):
        from ..graph.render import render_text

        click.echo(render_text(load_graph(target, flow_name)))
        return
    from .client_cmds import show_run

    show_run(target)


@click.command("graph")
@click.argument("flow_file", type=click.Path(dir_okay=False))
@flow_option
@click.option("--format", "fmt", type=click.Choice(["text", "mermaid", "dot"]), default="mermaid", show_default=True)
def graph_cmd(flow_file: str, flow_name: Optional[str], fmt: str) -> None:
    """Print the flow's graph as Mermaid, Graphviz dot or text."""
    from ..graph.render import RENDERERS

    click.echo(RENDERERS[fmt](load_graph(flow_file, flow_name)), nl=False if fmt != "text" else True)


COMMANDS = [check, show, graph_cmd]
