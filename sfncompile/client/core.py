"""Flow / Run / Step / Task / DataArtifact: read runs, tasks, artifacts and logs.

Everything is lazy: objects hold a pathspec and read records on first use;
artifact values are read (and their sha256 checked) only when asked for.

Namespaces work as in Metaflow: by default only runs of the namespace
``user:<username>`` are visible; ``namespace(None)`` shows every run.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ..exceptions import NotCommittedError, NotFoundError
from ..local.liveness import reconcile
from ..user import default_namespace
from .backend import Backend, all_backends, backend_for_run

SUCCEEDED = "SUCCEEDED"
FAILED = "FAILED"
RUNNING = "RUNNING"

_UNSET = object()
_current_namespace: Any = _UNSET


# ----------------------------------------------------------------------------- namespaces
def namespace(ns: Optional[str]) -> Optional[str]:
    """Switch namespace: ``namespace("user:alice")``, or ``namespace(None)`` for every run."""
    global _current_namespace
    _current_namespace = ns
    return ns


def get_namespace() -> Optional[str]:
    return default_namespace() if _current_namespace is _UNSET else _current_namespace


def _in_namespace(record: Dict[str, Any], ns: Optional[str]) -> bool:
    if ns is None:
        return True
    return record.get("namespace") == ns or ns in (record.get("tags") or ())


def _split(pathspec: str, parts: int, what: str, example: str) -> List[str]:
    items = [p for p in str(pathspec).strip("/").split("/")]
    if len(items) != parts or not all(items):
        raise NotFoundError(f"{what} pathspec {pathspec!r} is malformed", fix=f"write it as {example}")
    return items


def _parse_time(value: Any) -> Optional[datetime]:
    if not value:
        return None
    if isinstance(value, datetime):
        return value
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _natural(task_id: str) -> Tuple:
    return tuple((0, int(p)) if p.isdigit() else (1, int(p[1:]) if p[1:].isdigit() else 0, p) for p in task_id.split("."))


def _listing(items: List[str], limit: int = 10) -> str:
    if not items:
        return "none"
    text = ", ".join(items[:limit])
    return text + (f", ... ({len(items)} in all)" if len(items) > limit else "")


# ----------------------------------------------------------------------------- Flow
class _StatusOfRecord:
    """status / successful / finished of a run or task record (``self._record``)."""

    _record: Dict[str, Any]

    @property
    def status(self) -> str:
        return self._record.get("status") or RUNNING

    @property
    def successful(self) -> bool:
        return self.status == SUCCEEDED

    @property
    def finished(self) -> bool:
        return self.status in (SUCCEEDED, FAILED)


    @property
    def finished_at(self) -> Optional[datetime]:
        return _parse_time(self._record.get("finished_at"))


class Flow:
    """A flow's runs: ``Flow("TrainFlow").latest_successful_run``."""

    def __init__(self, name: str) -> None:
        self.name = self.id = str(name).strip("/")
        if "/" in self.name:
            raise NotFoundError(f"{name!r} is not a flow name", fix="pass just the flow's class name, e.g. Flow('TrainFlow')")
        self._records: Optional[List[Tuple[Backend, Dict[str, Any]]]] = None
        if not self._all_records():
            flows = sorted({f for b in all_backends() for f in _safe_flows(b)})
            raise NotFoundError(f"flow {self.name!r} has no runs", fix=f"flows with runs: {_listing(flows)}")

    @property
    def pathspec(self) -> str:
        return self.name

    def _all_records(self) -> List[Tuple[Backend, Dict[str, Any]]]:
        if self._records is None:
            out = []
            for backend in all_backends():
                for record in backend.metadata.list_runs(self.name):
                    out.append((backend, record))
            out.sort(key=lambda br: (str(br[1].get("created_at") or ""), str(br[1].get("run_id"))), reverse=True)
            self._records = out
        return self._records

    def runs(self, *tags: str) -> List["Run"]:
        """Runs in the current namespace, newest first (optionally only those with all ``tags``)."""
        ns = get_namespace()
        out = []
        for backend, record in self._all_records():
            if not _in_namespace(record, ns):
                continue
            if tags and not set(tags) <= set(record.get("tags") or ()):
                continue
            out.append(Run._from_record(self.name, record, backend))
        return out

    def __iter__(self) -> Iterator["Run"]:
        return iter(self.runs())

    def __getitem__(self, run_id: str) -> "Run":
        return Run(f"{self.name}/{run_id}")

    @property
    def latest_run(self) -> Optional["Run"]:
        ns = get_namespace()
        for backend, record in self._all_records():
            if _in_namespace(record, ns):
                return Run._from_record(self.name, record, backend)
        return None

    @property
    def latest_successful_run(self) -> Optional["Run"]:
        ns = get_namespace()
        for backend, record in self._all_records():
            if record.get("status") == SUCCEEDED and _in_namespace(record, ns):
                return Run._from_record(self.name, record, backend)
        return None

    def __repr__(self) -> str:
        return f"Flow('{self.name}')"


def _safe_flows(backend: Backend) -> List[str]:
    try:
        return list(backend.metadata.list_flows())
    except Exception:
        return []


# ----------------------------------------------------------------------------- Run
class Run(_StatusOfRecord):
    """One run: ``Run("TrainFlow/20250101120000123-ab12")``."""

    def __init__(self, pathspec: str, _record: Optional[Dict[str, Any]] = None, _backend: Optional[Backend] = None) -> None:
        self.flow_name, self.id = _split(pathspec, 2, "run", "Flow/run_id")
        self.pathspec = f"{self.flow_name}/{self.id}"
        self._backend = _backend or backend_for_run(self.id)
        self._tasks: Optional[List[Dict[str, Any]]] = None
        if _record is None:
            _record = self._backend.metadata.get_run(self.flow_name, self.id)
            if _record is None:
                raise NotFoundError(f"run {self.pathspec} does not exist", fix=_run_fix(self.flow_name, self._backend, self.id))
            ns = get_namespace()
            if not _in_namespace(_record, ns):
                raise NotFoundError(
                    f"run {self.pathspec} is in namespace {_record.get('namespace')!r}, not in the current namespace {ns!r}",
                    fix=f"call namespace({_record.get('namespace')!r}) or namespace(None) to see it",
                )
        self._record = reconcile(_record)

    @classmethod
    def _from_record(cls, flow: str, record: Dict[str, Any], backend: Backend) -> "Run":
        return cls(f"{flow}/{record['run_id']}", _record=record, _backend=backend)

    def _refresh(self) -> None:
        self._record = reconcile(self._backend.metadata.get_run(self.flow_name, self.id) or self._record)
        self._tasks = None

    # record fields --------------------------------------------------------------

    @property
    def created_at(self) -> Optional[datetime]:
        return _parse_time(self._record.get("created_at"))


    @property
    def tags(self) -> List[str]:
        return list(self._record.get("tags") or [])

    @property
    def namespace(self) -> Optional[str]:
        return self._record.get("namespace")

    @property
    def username(self) -> Optional[str]:
        return self._record.get("username")

    @property
    def origin_run_id(self) -> Optional[str]:
        return self._record.get("origin_run_id")

    @property
    def error(self) -> Optional[str]:
        return self._record.get("error")

    @property
    def failed_step(self) -> Optional[str]:
        return self._record.get("failed_step")

    @property
    def parameters(self) -> Dict[str, Any]:
        params = self._record.get("parameters") or {}
        if isinstance(params, str):
            import json

            params = json.loads(params) if params else {}
        return {k: v for k, v in params.items() if not k.startswith("__")}

    # tasks ----------------------------------------------------------------------
    def _task_records(self, step: Optional[str] = None) -> List[Dict[str, Any]]:
        if step is not None and self._tasks is None:
            return self._backend.metadata.list_tasks(self.flow_name, self.id, step)
        if self._tasks is None:
            self._tasks = self._backend.metadata.list_tasks(self.flow_name, self.id)
        if step is None:
            return self._tasks
        return [t for t in self._tasks if t.get("step") == step]

    def _step_names(self) -> List[str]:
        first: Dict[str, str] = {}
        for t in self._task_records():
            started = str(t.get("started_at") or "")
            if t["step"] not in first or started < first[t["step"]]:
                first[t["step"]] = started
        return sorted(first, key=lambda s: (first[s], s))

    def steps(self) -> List["Step"]:
        return [Step(f"{self.pathspec}/{s}", _run=self) for s in self._step_names()]

    def __iter__(self) -> Iterator["Step"]:
        return iter(self.steps())

    def __getitem__(self, step: str) -> "Step":
        records = self._task_records(step)
        if not records:
            raise NotFoundError(
                f"run {self.pathspec} has no step {step!r} (no task of it ran)",
                fix=f"steps with tasks: {_listing(self._step_names())}",
            )
        return Step(f"{self.pathspec}/{step}", _run=self, _records=records)

    def __contains__(self, step: str) -> bool:
        return bool(self._task_records(step))

    @property
    def end_task(self) -> Optional["Task"]:
        records = [t for t in self._task_records("end") if t.get("status") == SUCCEEDED]
        if not records:
            return None
        return Task(f"{self.pathspec}/end/{records[0]['task_id']}", _run=self, _record=records[0])

    @property
    def data(self) -> Optional["DataView"]:
        """The end step's artifacts (None while the run has no successful end task)."""
        task = self.end_task
        return task.data if task is not None else None

    def __repr__(self) -> str:
        return f"Run('{self.pathspec}')"


def _run_fix(flow: str, backend: Backend, run_id: str) -> str:
    from .backend import SFN_RUN_PREFIX, remote_backend

    if run_id.startswith(SFN_RUN_PREFIX) and remote_backend() is None:
        return "this is a Step Functions run: configure AWS (`sfncompile configure --stack NAME`) to read it"
    runs = [r["run_id"] for r in backend.metadata.list_runs(flow)]
    if not runs:
        flows = _safe_flows(backend)
        return f"flow {flow!r} has no runs here; flows with runs: {_listing(sorted(flows))}"
    return f"recent runs of {flow}: {_listing(runs, 5)}"


# ----------------------------------------------------------------------------- Step
class Step:
    """The tasks of one step in a run: ``run["train"].task``."""

    def __init__(self, pathspec: str, _run: Optional[Run] = None, _records: Optional[List[Dict[str, Any]]] = None) -> None:
        flow, run_id, self.name = _split(pathspec, 3, "step", "Flow/run_id/step")
        self.id = self.name
        self.run = _run or Run(f"{flow}/{run_id}")
        self.pathspec = f"{self.run.pathspec}/{self.name}"
        if _records is None:
            _records = self.run._task_records(self.name)
            if not _records:
                raise NotFoundError(
                    f"run {self.run.pathspec} has no step {self.name!r} (no task of it ran)",
                    fix=f"steps with tasks: {_listing(self.run._step_names())}",
                )
        self._records = sorted(_records, key=lambda t: _natural(str(t["task_id"])))

    @property
    def flow_name(self) -> str:
        return self.run.flow_name

    def tasks(self) -> List["Task"]:
        return [Task(f"{self.pathspec}/{r['task_id']}", _run=self.run, _record=r) for r in self._records]

    def __iter__(self) -> Iterator["Task"]:
        return iter(self.tasks())

    def __len__(self) -> int:
        return len(self._records)

    @property
    def task(self) -> "Task":
        """The step's task (the first one, for a step with several)."""
        r = self._records[0]
        return Task(f"{self.pathspec}/{r['task_id']}", _run=self.run, _record=r)

    def __getitem__(self, task_id: str) -> "Task":
        for r in self._records:
            if str(r["task_id"]) == str(task_id):
                return Task(f"{self.pathspec}/{task_id}", _run=self.run, _record=r)
        raise NotFoundError(
            f"step {self.pathspec} has no task {task_id!r}",
            fix=f"tasks: {_listing([str(r['task_id']) for r in self._records])}",
        )

    @property
    def created_at(self) -> Optional[datetime]:
        times = [t for t in (_parse_time(r.get("started_at")) for r in self._records) if t]
        return min(times) if times else None

    @property
    def finished_at(self) -> Optional[datetime]:
        times = [_parse_time(r.get("finished_at")) for r in self._records]
        return None if not times or None in times else max(times)  # type: ignore[type-var]

    def __repr__(self) -> str:
        return f"Step('{self.pathspec}')"


# ----------------------------------------------------------------------------- Task
class Task(_StatusOfRecord):
    """One task: its artifacts (``task.data.x``, ``task["x"].data``), logs, status, lineage."""

    def __init__(self, pathspec: str, _run: Optional[Run] = None, _record: Optional[Dict[str, Any]] = None) -> None:
        flow, run_id, self.step_name, self.id = _split(pathspec, 4, "task", "Flow/run_id/step/task_id")
        self.run = _run or Run(f"{flow}/{run_id}")
        self.flow_name = self.run.flow_name
        self.run_id = self.run.id
        self.pathspec = f"{self.run.pathspec}/{self.step_name}/{self.id}"
        self._backend = self.run._backend
        if _record is None:
            _record = self._backend.metadata.get_task(self.flow_name, self.run_id, self.step_name, self.id)
            if _record is None:
                step_tasks = self.run._task_records(self.step_name)
                if not step_tasks:
                    raise NotFoundError(
                        f"run {self.run.pathspec} has no step {self.step_name!r} (no task of it ran)",
                        fix=f"steps with tasks: {_listing(self.run._step_names())}",
                    )
                raise NotFoundError(
                    f"step {self.run.pathspec}/{self.step_name} has no task {self.id!r}",
                    fix=f"tasks: {_listing(sorted((str(t['task_id']) for t in step_tasks), key=_natural))}",
                )
        self._record = _record
        self._doc: Any = _UNSET

    # status -------------------------------------------------------------------------

    @property
    def current_attempt(self) -> int:
        return int(self._record.get("attempt") or 0)

    @property
    def successful_attempt(self) -> Optional[int]:
        a = self._record.get("successful_attempt")
        return int(a) if a is not None else None

    @property
    def created_at(self) -> Optional[datetime]:
        return _parse_time(self._record.get("started_at"))


    @property
    def cardinality(self) -> Optional[int]:
        c = self._record.get("cardinality")
        return int(c) if c is not None else None

    @property
    def choice(self) -> Optional[str]:
        return self._record.get("choice")

    def attempts(self) -> List[Dict[str, Any]]:
        """Attempt records (attempt, status, started_at, finished_at, error), oldest first."""
        return self._backend.metadata.list_attempts(self.flow_name, self.run_id, self.step_name, self.id)

    # committed attempt ---------------------------------------------------------------
    def _committed(self) -> Optional[Dict[str, Any]]:
        if self._doc is _UNSET:
            attempt = self.successful_attempt
            self._doc = (
                None if attempt is None
                else self._backend.aio(self.flow_name).attempt(self.run_id, self.step_name, self.id, attempt)
            )
        return self._doc

    def _entries(self) -> Dict[str, Dict[str, Any]]:
        doc = self._committed()
        if doc is None and self.successful_attempt is not None:
            from ..storage.keys import marker_key

            attempt = self.successful_attempt
            where = self._backend.artifacts.url(marker_key(self.flow_name, self.run_id, self.step_name, self.id, attempt))
            raise NotCommittedError(
                f"task {self.pathspec} attempt {attempt} is recorded as successful but was never committed "
                f"(no commit marker {where}), so its artifacts cannot be read",
                fix=f"resume the run to run the task again: sfncompile resume <flow file> --origin-run-id {self.run_id}",
            )
        return dict(doc.get("artifacts") or {}) if doc else {}

    @property
    def artifacts(self) -> "ArtifactsView":
        return ArtifactsView(self)

    @property
    def data(self) -> "DataView":
        return DataView(self)

    def __getitem__(self, name: str) -> "DataArtifact":
        entries = self._entries()
        if name not in entries or name.startswith("_"):
            raise NotFoundError(self._missing(name), fix=f"artifacts: {_listing(_public(entries))}")
        return DataArtifact(self, name, entries[name])

    def __contains__(self, name: str) -> bool:
        return not name.startswith("_") and name in self._entries()

    def __iter__(self) -> Iterator["DataArtifact"]:
        entries = self._entries()
        return iter([DataArtifact(self, n, entries[n]) for n in _public(entries)])

    def _missing(self, name: str) -> str:
        if not self.successful:
            return f"task {self.pathspec} has not succeeded (status {self.status}), so it has no artifacts"
        return f"task {self.pathspec} has no artifact {name!r}"

    # lineage -------------------------------------------------------------------------
    @property
    def foreach_stack(self) -> Tuple[int, ...]:
        """The foreach item indices of this task, outermost first."""
        doc = self._committed()
        if doc and doc.get("foreach_stack") is not None:
            return tuple(doc["foreach_stack"])
        return tuple(int(p) for p in self.id.split(".") if p.isdigit()) if self.id != "0" else ()

    @property
    def index(self) -> Optional[int]:
        """The innermost foreach index (None outside a foreach)."""
        stack = self.foreach_stack
        return stack[-1] if stack else None

    @property
    def parent_tasks(self) -> List["Task"]:
        doc = self._committed()
        if not doc:
            return []
        return [Task(f"{self.run.pathspec}/{p}", _run=self.run) for p in doc.get("parents") or ()]

    @property
    def origin_pathspec(self) -> Optional[str]:
        doc = self._committed()
        return doc.get("cloned_from") if doc else None

    # logs / errors -------------------------------------------------------------------
    def _log(self, stream: str, attempt: Optional[int] = None) -> str:
        if attempt is None:
            attempt = self.current_attempt
        try:
            return self._backend.aio(self.flow_name).get_log(self.run_id, self.step_name, self.id, attempt, stream)
        except NotFoundError:
            return ""

    @property
    def stdout(self) -> str:
        return self._log("stdout")

    @property
    def stderr(self) -> str:
        return self._log("stderr")

    def log(self, stream: str = "stdout", attempt: Optional[int] = None) -> str:
        if stream not in ("stdout", "stderr"):
            raise ValueError("stream is 'stdout' or 'stderr'")
        return self._log(stream, attempt)

    @property
    def exception(self) -> Any:
        """The exception @catch stored, or for a failed task the error of its last attempt; else None."""
        entries = self._entries()
        if "_exception" in entries:
            return self._backend.aio(self.flow_name).load(entries["_exception"])
        if self.status == FAILED or (not self.successful and self._record.get("error")):
            from ..runtime.caught import CaughtException, short_error

            text = self._record.get("error") or ""
            if not text:
                for a in reversed(self.attempts()):
                    if a.get("error"):
                        text = a["error"]
                        break
            if not text:
                return None
            line = short_error(text)
            kind, _, message = line.partition(": ")
            return CaughtException(kind if message else "Error", message or line, text, self.step_name, self.pathspec)
        return None

    def __repr__(self) -> str:
        return f"Task('{self.pathspec}')"


def _public(entries: Dict[str, Any]) -> List[str]:
    return sorted(n for n in entries if not n.startswith("_"))


# ----------------------------------------------------------------------------- artifacts
class DataArtifact:
    """One artifact of a task: ``.data`` (loaded on first use), ``.sha``, ``.size``, ``.type``."""

    def __init__(self, task: Task, name: str, entry: Dict[str, Any]) -> None:
        self.task = task
        self.name = self.id = name
        self._entry = entry
        self._value: Any = _UNSET

    @property
    def pathspec(self) -> str:
        return f"{self.task.pathspec}/{self.name}"

    @property
    def sha(self) -> str:
        return self._entry.get("sha", "")

    @property
    def size(self) -> Optional[int]:
        return self._entry.get("size")

    @property
    def type(self) -> Optional[str]:
        return self._entry.get("type")

    @property
    def data(self) -> Any:
        if self._value is _UNSET:
            self._value = self.task._backend.aio(self.task.flow_name).load(self._entry)
        return self._value

    def __repr__(self) -> str:
        return f"DataArtifact('{self.pathspec}')"


class DataView:
    """``task.data.name`` → the artifact's value."""

    def __init__(self, task: Task) -> None:
        object.__setattr__(self, "_task", task)
        object.__setattr__(self, "_values", {})

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        values = self._values
        if name not in values:
            try:
                values[name] = self._task[name].data
            except NotFoundError as exc:
                raise AttributeError(exc.render()) from None
        return values[name]

    def __getitem__(self, name: str) -> Any:
        return self._task[name].data

    def __contains__(self, name: str) -> bool:
        return name in self._task

    def __iter__(self) -> Iterator[str]:
        return iter(_public(self._task._entries()))

    def __dir__(self) -> List[str]:
        return _public(self._task._entries())

    def _asdict(self) -> Dict[str, Any]:
        return {n: getattr(self, n) for n in self}

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError("artifacts are read-only")

    def __repr__(self) -> str:
        return f"<data of {self._task.pathspec}: {', '.join(self) or 'no artifacts'}>"


class ArtifactsView:
    """``task.artifacts.name`` → DataArtifact; iterable."""

    def __init__(self, task: Task) -> None:
        self._task = task

    def __getattr__(self, name: str) -> DataArtifact:
        if name.startswith("_"):
            raise AttributeError(name)
        try:
            return self._task[name]
        except NotFoundError as exc:
            raise AttributeError(exc.render()) from None

    def __getitem__(self, name: str) -> DataArtifact:
        return self._task[name]

    def __iter__(self) -> Iterator[DataArtifact]:
        return iter(self._task)

    def __len__(self) -> int:
        return len(_public(self._task._entries()))

    def __contains__(self, name: str) -> bool:
        return name in self._task

    def __repr__(self) -> str:
        return f"<artifacts of {self._task.pathspec}: {', '.join(_public(self._task._entries())) or 'none'}>"

