"""check / show (a flow file) / graph: the static graph, no execution."""
from __future__ import annotations

import os
from typing import Dict, Optional

import click

from .output import emit_json, json_option

flow_option = click.option("--flow", "flow_name", default=None, help="Class name, when the file defines several flows.")


def load_graph(path: str, flow_name: Optional[str]):
    from ..graph import build_graph_from_file

    return build_graph_from_file(path, flow_name)


@click.command("check")
@click.argument("flow_file", type=click.Path(dir_okay=False))
@flow_option
@click.option("--compute", type=click.Choice(["fargate", "ec2", "ec2-gpu"]), default=None,
              help="Also reject step sizes (@resources) that this kind of Batch compute cannot run.")
@json_option
@click.option("--environments", "show_locks", is_flag=True, help="Also print each environment's locks (local and image).")
def check(flow_file: str, flow_name: Optional[str], compute: Optional[str], show_locks: bool, as_json: bool) -> None:
    """Check a flow's graph, decorators and package environments; print a summary or the first error."""
    from ..compiler.compute import Compute, check_compute, compute_notes, kubernetes_warnings

    from ..graph.trigger_check import check_triggers

    graph = load_graph(flow_file, flow_name)
    if compute:
        check_compute(graph, Compute(compute))
    trigger_warnings = check_triggers(graph, flow_file)
    environments = _environment_lines(graph, show_locks)
    if as_json:
        emit_json({"ok": True, **graph_document(graph), "environments": environments})
        return
    kinds: Dict[str, int] = {}
    for node in graph:
        kinds[node.kind] = kinds.get(node.kind, 0) + 1
    summary = ", ".join(f"{n} {k}" for k, n in sorted(kinds.items()))
    click.echo(f"{graph.name}: OK ({len(graph)} steps: {summary}; {len(graph.parameters)} parameters)")
    for line in environments:
        click.echo(line)
    for warning in kubernetes_warnings(graph):
        click.echo(f"note: {warning}", err=True)
    for line in _size_notes(graph):
        click.echo(line, err=True)
    for trigger_warning in trigger_warnings:
        click.echo(f"warning: {trigger_warning}", err=True)
    if not compute:
        for note in compute_notes(graph):
            click.echo(note, err=True)


def _size_notes(graph):
    """A warning when the compiled definition is past, or within 20% of, Step Functions' 1 MiB."""
    from ..compiler import compile_flow
    from ..compiler.size import DefinitionTooLarge, check_size
    from ..exceptions import CompileError

    try:
        warning = check_size(compile_flow(graph).definition, graph)
    except DefinitionTooLarge as exc:
        return [f"warning: deploy would fail: {exc}"]
    except CompileError:
        return []  # other compile errors are `sfncompile compile`'s to report
    return [f"warning: {warning}"] if warning else []


def _environment_lines(graph, show_locks: bool):
    from ..environments.local import has_environments

    if not has_environments(graph):
        return []
    from ..aws.config import load_config
    from ..environments.report import describe

    # The stage's config (when there is one) says which image platform and Python to resolve for.
    return describe(graph, load_config(required=False), locks=show_locks)


@click.command("show")
@click.argument("target")
@flow_option
@json_option
def show(target: str, flow_name: Optional[str], as_json: bool) -> None:
    """Show a flow file's graph as text, or a run's status per step (Flow/run).

    \b
    sfncompile show flow.py          the steps, transitions, decorators, parameters
    sfncompile show TrainFlow/123    status per step of a run
    """
    if target.endswith(".py") or os.path.isfile(target):
        from ..graph.render import render_text

        graph = load_graph(target, flow_name)
        if as_json:
            emit_json(graph_document(graph))
            return
        click.echo(render_text(graph))
        return
    from .client_cmds import show_run

    show_run(target, as_json=as_json)


def graph_document(graph) -> dict:
    """The static graph as JSON (``show flow.py --json``)."""
    from ..graph.ir import thaw

    return {
        "flow": graph.name, "file": graph.file,
        "parameters": [{"name": p.name, "type": p.type, "default": p.default, "required": p.required}
                       for p in graph.parameters],
        "steps": [{"name": n.name, "kind": n.kind, "transition": n.transition, "successors": list(n.successors),
                   "join": n.is_join, "decorators": thaw(n.decorators), "line": n.line} for n in graph],
    }


GRAPH_FORMATS = ("mermaid", "dot", "text", "html", "svg")


def graph_renderers() -> dict:
    """Every picture of a flow's graph by format name; html and svg are what the UI draws."""
    from ..cards.graph_svg import render_html, render_svg
    from ..graph.render import RENDERERS

    return {**RENDERERS, "html": render_html, "svg": render_svg}


@click.command("graph")
@click.argument("flow_file", type=click.Path(dir_okay=False))
@flow_option
@click.option("--format", "fmt", type=click.Choice(GRAPH_FORMATS), default="mermaid", show_default=True)
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file instead of stdout.")
def graph_cmd(flow_file: str, flow_name: Optional[str], fmt: str, output: Optional[str]) -> None:
    """Print the flow's graph as Mermaid, Graphviz dot, text, a standalone HTML page or SVG."""
    text = graph_renderers()[fmt](load_graph(flow_file, flow_name))
    if not text.endswith("\n"):
        text += "\n"
    if output:
        with open(output, "w", encoding="utf-8") as fh:
            fh.write(text)
        click.echo(f"wrote {fmt} graph to {output}", err=True)
    else:
        click.echo(text, nl=False)


COMMANDS = [check, show, graph_cmd]
