"""`sfncompile tag add|remove|replace|list Flow[/run]`: a run's user tags (system tags are read-only)."""
from __future__ import annotations

from typing import Tuple

import click

from .output import emit_json, json_option


def _run(pathspec: str):
    """``Flow/run``, or ``Flow`` for the latest run in the current namespace (as Metaflow's tag commands)."""
    from ..client import Flow, Run, namespace
    from ..exceptions import NotFoundError

    if "/" in pathspec.strip("/"):
        namespace(None)
        return Run(pathspec)
    run = Flow(pathspec).latest_run
    if run is None:
        raise NotFoundError(f"flow {pathspec} has no run in your namespace", fix="name the run: Flow/run_id")
    return run


def _show(run, as_json: bool) -> None:
    if as_json:
        emit_json({"pathspec": run.pathspec, "user_tags": sorted(run.user_tags),
                   "system_tags": sorted(run.system_tags)})
        return
    click.echo(f"{run.pathspec}")
    click.echo(f"  user tags:   {', '.join(sorted(run.user_tags)) or '-'}")
    click.echo(f"  system tags: {', '.join(sorted(run.system_tags))}")


@click.group("tag")
def tag() -> None:
    """Add, remove, replace or list a run's tags (Flow/run, or Flow for its latest run)."""


@tag.command("add")
@click.argument("pathspec")
@click.argument("tags", nargs=-1, required=True)
@json_option
def tag_add(pathspec: str, tags: Tuple[str, ...], as_json: bool) -> None:
    """Add user tags to a run: sfncompile tag add Flow/run best reviewed."""
    run = _run(pathspec)
    run.add_tags(tags)
    _show(run, as_json)


@tag.command("remove")
@click.argument("pathspec")
@click.argument("tags", nargs=-1, required=True)
@json_option
def tag_remove(pathspec: str, tags: Tuple[str, ...], as_json: bool) -> None:
    """Remove user tags from a run (system tags cannot be removed)."""
    run = _run(pathspec)
    run.remove_tags(tags)
    _show(run, as_json)


@tag.command("replace")
@click.argument("pathspec")
@click.argument("old")
@click.argument("new")
@json_option
def tag_replace(pathspec: str, old: str, new: str, as_json: bool) -> None:
    """Replace one user tag by another in one update."""
    run = _run(pathspec)
    run.replace_tag(old, new)
    _show(run, as_json)


@tag.command("list")
@click.argument("pathspec")
@json_option
def tag_list(pathspec: str, as_json: bool) -> None:
    """List a run's user tags and system tags."""
    _show(_run(pathspec), as_json)


COMMANDS = [tag]
