"""The read-only web app: flows → runs → a run (graph, progress) → a step → a task (logs, artifacts, cards).

Starlette + Jinja2, served by uvicorn (the ``[ui]`` extra). Pages render on the
server; the run page refreshes itself from ``/api/...`` JSON while the run is going.
Every unknown flow/run/step/task is a 404 page saying what exists.
"""
from __future__ import annotations

import os
from typing import Any
from urllib.parse import quote

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from ..cards.graph_svg import render_svg
from ..cards.page import size_text
from ..cards.theme import css_variables
from ..exceptions import NotFoundError
from . import data
from .preview import PREVIEW_LIMIT, preview

HERE = os.path.dirname(os.path.abspath(__file__))
templates = Jinja2Templates(directory=os.path.join(HERE, "templates"))
# The stylesheet is inlined: one request fewer before the first paint.
with open(os.path.join(HERE, "static", "ui.css"), encoding="utf-8") as _fh:
    templates.env.globals["page_css"] = css_variables() + _fh.read()
templates.env.filters["q"] = lambda s: quote(str(s), safe="")
templates.env.filters["size"] = size_text

REFRESH_MS = 1500


def _page(request: Request, name: str, http_status: int = 200, **context: Any) -> HTMLResponse:
    return templates.TemplateResponse(request, name, context, status_code=http_status)


def run_url(flow: str, run: str) -> str:
    return f"/flows/{quote(flow, safe='')}/runs/{quote(run, safe='')}"


def step_url(flow: str, run: str, step: str) -> str:
    return f"{run_url(flow, run)}/steps/{quote(step, safe='')}"


def task_url(flow: str, run: str, step: str, task: str) -> str:
    return f"{step_url(flow, run, step)}/tasks/{quote(task, safe='')}"


templates.env.globals.update(run_url=run_url, step_url=step_url, task_url=task_url, refresh_ms=REFRESH_MS)


async def flows_page(request: Request) -> Response:
    return _page(request, "flows.html", flows=data.list_flows())


async def runs_page(request: Request) -> Response:
    flow = request.path_params["flow"]
    q = request.query_params
    status = q.get("status") or None
    if status and status not in data.STATUSES:
        status = None
    try:
        page = int(q.get("page") or 1)
    except ValueError:
        page = 1
    listing = data.runs_page(flow, status=status, tag=q.get("tag") or None, page=page)
    return _page(request, "runs.html", statuses=data.STATUSES, **listing)


async def run_page(request: Request) -> Response:
    flow, run = request.path_params["flow"], request.path_params["run"]
    status = data.run_status(flow, run)
    graph = data.graph_of(flow, run)
    svg = None
    if graph is not None:
        svg = render_svg(
            graph,
            statuses={k: v["status"] for k, v in status["steps"].items()},
            subtitles={k: v["progress"] for k, v in status["steps"].items()},
            link=lambda step: step_url(flow, run, step),
        )
    return _page(request, "run.html", s=status, svg=svg)


async def run_json(request: Request) -> Response:
    return JSONResponse(data.run_status(request.path_params["flow"], request.path_params["run"]))


async def step_page(request: Request) -> Response:
    p = request.path_params
    return _page(request, "step.html", **data.step_tasks(p["flow"], p["run"], p["step"]))


async def task_page(request: Request) -> Response:
    p = request.path_params
    return _page(request, "task.html", t=data.task_view(p["flow"], p["run"], p["step"], p["task"]))


async def task_log(request: Request) -> Response:
    p = request.path_params
    stream = p["stream"]
    if stream not in ("stdout", "stderr"):
        raise HTTPException(404, f"no log stream {stream!r}: stdout or stderr")
    attempt = request.query_params.get("attempt")
    text = data.task_log(p["flow"], p["run"], p["step"], p["task"], stream,
                         int(attempt) if attempt and attempt.isdigit() else None)
    return PlainTextResponse(text)


async def artifact_json(request: Request) -> Response:
    from ..client import Task

    p = request.path_params
    task = Task(f"{p['flow']}/{p['run']}/{p['step']}/{p['task']}")
    artifact = task[p["name"]]
    limit = request.app.state.preview_limit
    return JSONResponse(preview(artifact, force=request.query_params.get("force") == "1", limit=limit))


async def card_html(request: Request) -> Response:
    p = request.path_params
    html = data.task_card(p["flow"], p["run"], p["step"], p["task"], p["card"])
    if html is None:
        raise NotFoundError(f"task {p['flow']}/{p['run']}/{p['step']}/{p['task']} has no card {p['card']!r}")
    # Cards are static documents: no script may run, even if a value smuggled one in.
    return HTMLResponse(html, headers={"Content-Security-Policy": "default-src 'none'; img-src data:; "
                                                                 "style-src 'unsafe-inline'; sandbox"})


async def not_found(request: Request, exc: Exception) -> Response:
    if isinstance(exc, NotFoundError):
        message, fix = exc.message, exc.fix
    else:
        message, fix = getattr(exc, "detail", None) or f"no page at {request.url.path}", None
    if request.url.path.startswith("/api/"):
        return JSONResponse({"error": message, "fix": fix}, status_code=404)
    return _page(request, "notfound.html", http_status=404, message=message, fix=fix, flows=data.list_flows())


def create_app(preview_limit: int = PREVIEW_LIMIT) -> Starlette:
    """The ASGI app (read-only; every run visible: the UI shows all namespaces).

    Artifacts larger than ``preview_limit`` bytes are unpickled only when the user clicks."""
    from ..client import namespace

    namespace(None)
    api = "/api/flows/{flow}/runs/{run}"
    task = "/flows/{flow}/runs/{run}/steps/{step}/tasks/{task}"
    routes = [
        Route("/", flows_page),
        Route("/flows/{flow}", runs_page),
        Route("/flows/{flow}/runs/{run}", run_page),
        Route("/flows/{flow}/runs/{run}/steps/{step}", step_page),
        Route(task, task_page),
        Route(task + "/logs/{stream}", task_log),
        Route(task + "/cards/{card}", card_html),
        Route(api, run_json),
        Route("/api" + task + "/artifacts/{name}", artifact_json),
        Mount("/static", StaticFiles(directory=os.path.join(HERE, "static")), name="static"),
    ]
    handlers = {NotFoundError: not_found, 404: not_found}
    app = Starlette(routes=routes, exception_handlers=handlers)
    app.state.preview_limit = preview_limit
    return app
