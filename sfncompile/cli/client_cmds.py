"""`runs`, `logs`, `dump`, and `show Flow/run`: read results (thin commands over the client)."""
from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Dict, List, Optional

import click

from ..storage.interfaces import FAILED, RUNNING, SUCCEEDED
from .output import emit_json, json_option


def _fmt_time(value: Optional[datetime]) -> str:
    if value is None:
        return "-"
    return value.astimezone().strftime("%Y-%m-%d %H:%M:%S")


def _duration(start: Optional[datetime], end: Optional[datetime], running: bool = False) -> str:
    from ..local.output import fmt_duration

    if start is None:
        return "-"
    if end is None:
        if not running:
            return "-"
        end = datetime.now(timezone.utc) if start.tzinfo else datetime.now()
    return fmt_duration(max(0.0, (end - start).total_seconds()))


def _table(rows: List[List[str]], header: List[str]) -> str:
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths)).rstrip()]
    for r in rows:
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(r, widths)).rstrip())
    return "\n".join(lines)


@click.command("runs")
@click.argument("flow_name")
@click.option("--all-namespaces", "-A", "all_ns", is_flag=True, help="List runs of every namespace.")
@click.option("--limit", "-n", type=click.IntRange(1), default=20, show_default=True)
@click.option("--tag", "tags", multiple=True, help="Only runs with this tag (repeatable).")
@json_option
def runs(flow_name: str, all_ns: bool, limit: int, tags, as_json: bool) -> None:
    """List a flow's runs, newest first: id, status, start, duration, tags."""
    from ..client import Flow, namespace

    if all_ns:
        namespace(None)
    flow = Flow(flow_name)
    found = flow.runs(*tags)
    if as_json:
        emit_json([run_document(run) for run in found[:limit]])
        return
    if not found:
        click.echo(f"{flow_name}: no runs in this namespace (use --all-namespaces to see every run)")
        return
    rows = []
    for run in found[:limit]:
        rows.append([
            run.id,
            run.status,
            _fmt_time(run.created_at),
            _duration(run.created_at, run.finished_at, running=not run.finished),
            ",".join(sorted(run.user_tags)) or "-",
            run.namespace or "-",
        ])
    from ..client.core import stores_read

    click.echo(_table(rows, ["RUN", "STATUS", "STARTED", "DURATION", "TAGS", "NAMESPACE"]))
    click.echo(f"(read from {stores_read()})", err=True)
    if len(found) > limit:
        click.echo(f"... {len(found) - limit} older run(s); --limit N shows more")


def run_document(run) -> Dict[str, object]:
    """A run as JSON (``runs --json``, ``show Flow/run --json``); times are ISO-8601 UTC."""
    return {
        "pathspec": run.pathspec, "run_id": run.id, "status": run.status,
        "created_at": run._record.get("created_at"), "finished_at": run._record.get("finished_at"),
        "user_tags": sorted(run.user_tags), "system_tags": sorted(run.system_tags), "namespace": run.namespace,
        "parameters": run.parameters, "origin_run_id": run.origin_run_id, "failed_step": run.failed_step,
        "error": run.error,
    }


def show_run(pathspec: str, as_json: bool = False) -> None:
    """Status per step of a run (called by `sfncompile show Flow/run`)."""
    from ..client import Run, namespace
    from ..exceptions import NotFoundError

    parts = pathspec.strip("/").split("/")
    if len(parts) != 2:
        raise NotFoundError(
            f"{pathspec!r} is neither a flow file nor a run pathspec",
            fix="pass a flow file (flow.py) or Flow/run_id",
        )
    namespace(None)
    run = Run(pathspec)
    lines = [
        f"Run {run.pathspec}: {run.status}",
        f"  started {_fmt_time(run.created_at)}, duration "
        f"{_duration(run.created_at, run.finished_at, running=not run.finished)}"
        + (f", tags {', '.join(sorted(run.user_tags))}" if run.user_tags else "")
        + (f", resumed from {run.origin_run_id}" if run.origin_run_id else ""),
    ]
    if run.id.startswith("sfn-"):
        from ..aws.executions import describe_for_show

        execution_line = describe_for_show(run.flow_name, run.id, run.status)
        if execution_line:
            lines.append(execution_line)
    if run.parameters:
        lines.append("  parameters: " + ", ".join(f"{k}={v!r}" for k, v in run.parameters.items()))
    if run.error:
        lines.append(f"  error: {run.failed_step + ': ' if run.failed_step else ''}{run.error}")
    rows = []
    by_step: Dict[str, List[dict]] = {}
    for record in run._task_records():
        by_step.setdefault(record["step"], []).append(record)
    from ..client.core import _parse_time

    run_end = _parse_time(run._record.get("finished_at")) if run.finished else None
    for step in run._step_names():
        records = by_step[step]
        counts: Dict[str, int] = {}
        for r in records:
            state = _task_state(r, run.finished)
            counts[state] = counts.get(state, 0) + 1
        starts = [t for t in (_parse_time(r.get("started_at")) for r in records) if t]
        ends = [_parse_time(r.get("finished_at")) or (run_end if _task_state(r, run.finished) == LOST else None)
                for r in records]
        running = counts.get(RUNNING, 0) > 0
        end = None if running or None in ends else max(ends)  # type: ignore[type-var]
        attempts = sum(int(r.get("attempt") or 0) for r in records)
        rows.append([
            step,
            str(len(records)),
            str(counts.get(SUCCEEDED, 0)),
            str(counts.get(FAILED, 0)),
            str(counts.get(RUNNING, 0)),
            str(counts.get(LOST, 0)),
            str(attempts) if attempts else "-",
            _duration(min(starts) if starts else None, end, running=running),
        ])
    if as_json:
        header = ["step", "tasks", "done", "failed", "running", "lost", "retries", "duration"]
        emit_json({**run_document(run), "steps": [dict(zip(header, row)) for row in rows]})
        return
    lines.append("")
    lines.append(_table(rows, ["STEP", "TASKS", "DONE", "FAILED", "RUNNING", "LOST", "RETRIES", "DURATION"]) if rows
                 else "  (no task ran)" if run.finished else "  (no tasks yet)")
    click.echo("\n".join(lines))


LOST = "LOST"  # a task that never finished in a run that ended (stopped, or its scheduler lost)


def _task_state(record: Dict[str, object], run_finished: bool) -> str:
    """SUCCEEDED, FAILED, RUNNING, or LOST: an unfinished task of an ended run runs no more."""
    status = str(record.get("status") or RUNNING)
    return LOST if status == RUNNING and run_finished else status


def _task_from(pathspec: str):
    from ..client import Step, Task, namespace
    from ..exceptions import NotFoundError

    namespace(None)
    parts = pathspec.strip("/").split("/")
    if len(parts) == 4:
        return [Task(pathspec)]
    if len(parts) == 3:
        return Step(pathspec).tasks()
    raise NotFoundError(f"{pathspec!r} is not a task pathspec", fix="write Flow/run_id/step/task_id (or Flow/run_id/step)")


@click.command("logs")
@click.argument("pathspec")
@click.option("--stderr", "stream", flag_value="stderr", help="Show stderr instead of stdout.")
@click.option("--stdout", "stream", flag_value="stdout", default=True, help="Show stdout (the default).")
@click.option("--attempt", type=click.IntRange(0), default=None,
              help="Attempt number, 0-based as the run output shows it (default: the latest).")
@json_option
def logs(pathspec: str, stream: str, attempt: Optional[int], as_json: bool) -> None:
    """Print a task's stdout (or --stderr): `sfncompile logs Flow/run/step/task`."""
    tasks = _task_from(pathspec)
    documents = []
    for task in tasks:
        if attempt is not None and attempt > task.current_attempt:
            from ..exceptions import NotFoundError

            raise NotFoundError(
                f"task {task.pathspec} has no attempt {attempt}",
                fix=f"attempts: {', '.join(str(i) for i in range(task.current_attempt + 1))}",
            )
        text = task.log(stream or "stdout", attempt)
        if as_json:
            documents.append({"pathspec": task.pathspec, "stream": stream or "stdout",
                              "attempt": task.current_attempt if attempt is None else attempt, "text": text})
            continue
        if len(tasks) > 1:
            click.echo(f"== {task.pathspec} ({stream or 'stdout'})")
        click.echo(text, nl=False)
        if text and not text.endswith("\n"):
            click.echo("")
    if as_json:
        emit_json(documents)


@click.command("dump")
@click.argument("pathspec")
@click.option("--artifact", "-a", "names", multiple=True, help="Print only this artifact, in full (repeatable).")
@json_option
def dump(pathspec: str, names, as_json: bool) -> None:
    """Print a task's artifacts: `sfncompile dump Flow/run/step/task [--artifact name]`."""
    import pprint

    tasks = _task_from(pathspec)
    if as_json:
        emit_json([_task_document(task, names) for task in tasks])
        return
    for task in tasks:
        if names:
            for name in names:
                value = task[name].data
                if len(tasks) > 1:
                    click.echo(f"== {task.pathspec}")
                click.echo(pprint.pformat(value, width=100) if not isinstance(value, str) else value)
            continue
        click.echo(f"== {task.pathspec} ({task.status})")
        artifacts = list(task)
        if not artifacts:
            click.echo("  (no artifacts)")
        for art in artifacts:
            text = pprint.pformat(art.data, width=100, compact=True)
            if len(text) > 200:
                text = text[:200] + f"... ({len(text)} characters; --artifact {art.name} prints it all)"
            size = f"{art.size} B" if art.size is not None else "?"
            click.echo(f"  {art.name} ({art.type or '?'}, {size}) = {text}")
        exc = task.exception
        if exc is not None:
            click.echo(f"  exception: {exc}")
    sys.stdout.flush()


def _task_document(task, names) -> Dict[str, object]:
    """A task and its artifacts as JSON; values that are not JSON become their repr()."""
    import json

    def value(data: object) -> object:
        try:
            json.dumps(data)
            return data
        except (TypeError, ValueError):
            return repr(data)

    chosen = [task[n] for n in names] if names else list(task)
    exc = task.exception
    return {"pathspec": task.pathspec, "status": task.status, "attempt": task.current_attempt,
            "artifacts": {a.name: {"type": a.type, "size": a.size, "sha256": a.sha, "value": value(a.data)}
                          for a in chosen},
            "exception": str(exc) if exc is not None else None}


COMMANDS = [runs, logs, dump]
