"""What the UI pages show, read through the client API (never the stores directly).

Each function returns plain dicts (rendered by templates, or sent as JSON to the
page's refresh script). Unknown flows/runs/steps/tasks raise the client's
NotFoundError, whose message lists what exists; the app turns it into a 404 page.
"""
from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Dict, List, Optional

from ..client import Run, Step, Task
from ..client.backend import all_backends
from ..client.core import FAILED, RUNNING, SUCCEEDED, list_runs
from ..exceptions import NotFoundError
from ..graph.ir import FRAME_FOREACH, FlowGraph
from ..local.output import fmt_duration

PENDING = "PENDING"
STATUSES = (RUNNING, SUCCEEDED, FAILED)


def _iso(value: Optional[datetime]) -> Optional[str]:
    return value.isoformat() if value else None


def _seconds(start: Optional[datetime], end: Optional[datetime]) -> Optional[float]:
    if not start:
        return None
    if end is None:
        end = datetime.now(timezone.utc) if start.tzinfo else datetime.now()
    return max(0.0, (end - start).total_seconds())


def duration_text(seconds: Optional[float]) -> str:
    return "" if seconds is None else fmt_duration(seconds)


# ----------------------------------------------------------------------------- flows and runs
def list_flows() -> List[str]:
    names = set()
    for backend in all_backends():
        try:
            names.update(backend.metadata.list_flows())
        except Exception:  # noqa: BLE001 - an unreachable remote store must not hide local flows
            continue
    return sorted(names)


def runs_page(flow: str, *, status: Optional[str] = None, tag: Optional[str] = None,
              page: int = 1, per_page: int = 50) -> Dict[str, Any]:
    """One page of a flow's runs, newest first, filtered by status and/or tag."""
    page = max(1, page)
    runs, total = list_runs(flow, status=status, tag=tag, limit=per_page, offset=(page - 1) * per_page)
    pages = max(1, -(-total // per_page))
    if page > pages:
        page = pages
        runs, total = list_runs(flow, status=status, tag=tag, limit=per_page, offset=(page - 1) * per_page)
    rows = []
    for run in runs:
        start, end = run.created_at, run.finished_at
        rows.append({
            "id": run.id, "status": run.status, "start": _iso(start),
            "start_text": start.strftime("%Y-%m-%d %H:%M:%S") if start else "",
            "duration": duration_text(_seconds(start, end)), "tags": sorted(run.tags), "user": run.username or "",
            "parameters": run.parameters,
        })
    return {"flow": flow, "runs": rows, "total": total, "page": page, "pages": pages, "per_page": per_page,
            "status": status or "", "tag": tag or ""}


# ----------------------------------------------------------------------------- a run
def _expected(graph: Optional[FlowGraph], step: str, tasks_by_step: Dict[str, List[Task]]) -> Optional[int]:
    """How many tasks a foreach body step will have: the sum of its split's recorded cardinalities."""
    if graph is None or step not in graph:
        return None
    foreach = [f for f in graph[step].scope if f.kind == FRAME_FOREACH]
    if not foreach:
        return None if graph[step].scope else 1
    split = foreach[-1].name
    splits = tasks_by_step.get(split) or []
    if not splits or any(t.cardinality is None for t in splits):
        return None
    # One body task per item of every split task (every outer item, every loop visit so far).
    return sum(t.cardinality or 0 for t in splits)


def step_summary(step: str, tasks: List[Task], expected: Optional[int], run_finished: bool) -> Dict[str, Any]:
    done = sum(1 for t in tasks if t.status == SUCCEEDED)
    failed = sum(1 for t in tasks if t.status == FAILED)
    running = sum(1 for t in tasks if t.status not in (SUCCEEDED, FAILED))
    if not tasks:
        status = PENDING
    elif failed and not running and (run_finished or expected is None or done + failed >= expected):
        status = FAILED
    elif running or (expected is not None and done < expected and not run_finished):
        status = RUNNING
    elif failed:
        status = FAILED
    else:
        status = SUCCEEDED
    if (expected or 0) > 1 or len(tasks) > 1:  # a foreach body (or loop visits): counts
        text = f"{done}/{expected} done" if expected is not None else f"{done} done"
        text += f", {failed} failed" if failed else ""
        text += f", {running} running" if running else ""
    else:
        text = {PENDING: "not started", RUNNING: "running", SUCCEEDED: "done", FAILED: "failed"}[status]
    times = [t.created_at for t in tasks if t.created_at]
    ends = [t.finished_at for t in tasks]
    start = min(times) if times else None
    end = None if not ends or None in ends else max(ends)  # type: ignore[type-var]
    return {"step": step, "status": status, "done": done, "failed": failed, "running": running,
            "expected": expected, "progress": text, "tasks": len(tasks),
            "elapsed": duration_text(_seconds(start, end)) if start else ""}


def run_status(flow: str, run_id: str, *, with_execution: bool = True) -> Dict[str, Any]:
    """Everything the run page shows and refreshes: run status, per-step progress, failure, links."""
    run = Run(f"{flow}/{run_id}")
    graph = run.graph
    steps = run.steps()
    tasks_by_step = {s.name: s.tasks() for s in steps}
    execution = _execution(flow, run_id) if with_execution else None
    status = run.status
    if execution and execution["status"] in ("FAILED", "TIMED_OUT", "ABORTED"):
        status = FAILED  # the execution's status wins over a record a platform failure left RUNNING
    finished = status in (SUCCEEDED, FAILED)
    names = list(graph.steps) if graph is not None else []
    names += [s for s in tasks_by_step if s not in names]
    summaries = {name: step_summary(name, tasks_by_step.get(name, []),
                                    _expected(graph, name, tasks_by_step), finished) for name in names}
    failing = _failing(run, tasks_by_step)
    return {
        "flow": flow, "run": run_id, "status": status, "recorded_status": run.status,
        "start": _iso(run.created_at), "finished": finished,
        "elapsed": duration_text(_seconds(run.created_at, run.finished_at if finished else None)),
        "steps": summaries, "order": names, "failing": failing, "execution": execution,
        "tags": sorted(run.tags), "user": run.username or "", "parameters": run.parameters,
        "has_graph": graph is not None, "now": time.time(),
    }


def _failing(run: Run, tasks_by_step: Dict[str, List[Task]]) -> Optional[Dict[str, Any]]:
    for step, tasks in tasks_by_step.items():
        for task in tasks:
            if task.status == FAILED:
                exc = task.exception
                return {"step": step, "task": task.id, "pathspec": task.pathspec,
                        "error": f"{exc.type}: {exc.message}" if exc is not None and hasattr(exc, "type")
                        else (run.error or "failed")}
    if run.failed_step or run.error:
        return {"step": run.failed_step or "", "task": None, "pathspec": None, "error": run.error or "failed"}
    return None


def _execution(flow: str, run_id: str) -> Optional[Dict[str, Any]]:
    if not run_id.startswith("sfn-"):
        return None
    try:
        from ..aws.links import execution_summary
    except ImportError:  # pragma: no cover - boto3 is a core dependency
        return None
    summary = execution_summary(flow, run_id)
    if summary:
        summary = {k: (v.isoformat() if isinstance(v, datetime) else v) for k, v in summary.items()}
    return summary


def graph_of(flow: str, run_id: str) -> Optional[FlowGraph]:
    return Run(f"{flow}/{run_id}").graph


# ----------------------------------------------------------------------------- steps and tasks
def step_tasks(flow: str, run_id: str, step: str) -> Dict[str, Any]:
    try:
        s = Step(f"{flow}/{run_id}/{step}")
    except NotFoundError:
        graph = Run(f"{flow}/{run_id}").graph
        if graph is None or step not in graph:
            raise
        # A step of the flow that has no task yet (a pending node of the graph): an empty page, not a 404.
        return {"flow": flow, "run": run_id, "step": step, "tasks": [], "pending": True}
    rows = []
    for t in s.tasks():
        rows.append({"id": t.id, "status": t.status, "attempt": t.current_attempt,
                     "start": _iso(t.created_at), "duration": duration_text(_seconds(t.created_at, t.finished_at))})
    return {"flow": flow, "run": run_id, "step": step, "tasks": rows, "pending": False}


LOG_TAIL_LINES = 200


def tail(text: str, lines: int = LOG_TAIL_LINES) -> Dict[str, Any]:
    parts = text.splitlines()
    return {"text": "\n".join(parts[-lines:]), "lines": len(parts), "truncated": len(parts) > lines}


def task_view(flow: str, run_id: str, step: str, task_id: str) -> Dict[str, Any]:
    task = Task(f"{flow}/{run_id}/{step}/{task_id}")
    attempts = []
    for a in task.attempts():
        info = a.get("info") or {}
        attempts.append({"attempt": a.get("attempt"), "status": a.get("status"), "started_at": a.get("started_at"),
                         "finished_at": a.get("finished_at"), "error": (a.get("error") or "").strip().splitlines()[-1:],
                         "host": info.get("host", ""), "log_url": _log_url(run_id, info.get("aws_batch_job_id"))})
    artifacts = [{"name": a.name, "type": a.type or "", "size": a.size} for a in task]
    exc = task.exception
    return {
        "flow": flow, "run": run_id, "step": step, "task": task_id, "pathspec": task.pathspec,
        "status": task.status, "attempt": task.current_attempt, "attempts": attempts,
        "start": _iso(task.created_at), "duration": duration_text(_seconds(task.created_at, task.finished_at)),
        "stdout": tail(task.stdout), "stderr": tail(task.stderr), "artifacts": artifacts,
        "cards": [c.id for c in task.cards],
        "error": (f"{exc.type}: {exc.message}" if exc is not None and hasattr(exc, "type") else None),
    }


def _log_url(run_id: str, job_id: Optional[str]) -> Optional[str]:
    if not job_id or not run_id.startswith("sfn-"):
        return None
    from ..aws.links import job_log_url

    return job_log_url(job_id)


def task_log(flow: str, run_id: str, step: str, task_id: str, stream: str, attempt: Optional[int] = None) -> str:
    return Task(f"{flow}/{run_id}/{step}/{task_id}").log(stream, attempt)


def task_card(flow: str, run_id: str, step: str, task_id: str, card_id: str) -> Optional[str]:
    for card in Task(f"{flow}/{run_id}/{step}/{task_id}").cards:
        if card.id == card_id:
            return card.html
    return None
