"""ui / card: look at runs in a browser, and open a task's cards."""
from __future__ import annotations

import click

from ..exceptions import SfnCompileError


UI_MODULES = ("starlette", "uvicorn", "jinja2")  # the [ui] extra


class UiNotInstalled(SfnCompileError):
    headline = "missing extra"


@click.command("ui")
@click.option("--port", default=8324, show_default=True, help="Port to serve on.")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to bind (the default keeps the UI on this machine).")
@click.option("--open", "open_browser", is_flag=True, help="Open the UI in your web browser.")
@click.option("--preview-limit", type=click.IntRange(0), default=8 * 2**20, show_default=True,
              help="Artifacts larger than this many bytes are loaded only when you click.")
def ui(port: int, host: str, open_browser: bool, preview_limit: int) -> None:
    """Browse flows, runs, tasks, artifacts, logs and cards in a local web app (read-only)."""
    import importlib.util

    for module in UI_MODULES:
        if importlib.util.find_spec(module) is None:
            raise UiNotInstalled(f"the UI needs {module}, which is not installed", fix="pip install 'sfncompile[ui]'")
    from ..ui import serve

    serve(port=port, host=host, open_browser=open_browser, preview_limit=preview_limit)


@click.group("card")
def card_group() -> None:
    """Cards that @card steps rendered."""


@card_group.command("view")
@click.argument("pathspec")
@click.option("--id", "card_id", default=None, help="Which card, when the task has several.")
@click.option("--open", "open_browser", is_flag=True, help="Open the card in your web browser.")
def card_view(pathspec: str, card_id: str, open_browser: bool) -> None:
    """Print the path of a task's card (Flow/run/step/task), or open it with --open."""
    from ..client import Task, namespace

    namespace(None)
    task = Task(pathspec)
    cards = task.cards
    if not cards:
        raise SfnCompileError(f"task {task.pathspec} has no card", fix="add @card above the step's @step and run it again")
    chosen = [c for c in cards if card_id is None or c.id == card_id]
    if not chosen:
        raise SfnCompileError(f"task {task.pathspec} has no card {card_id!r}",
                              fix=f"its cards: {', '.join(c.id for c in cards)}")
    for card in chosen[:1] if card_id is None and len(cards) > 1 and open_browser else chosen:
        path = card.path
        click.echo(path)
        if open_browser:
            import webbrowser

            webbrowser.open(f"file://{path}")


COMMANDS = [ui, card_group]
