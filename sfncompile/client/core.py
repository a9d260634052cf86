"""Flow / Run / Step / Task / DataArtifact: read runs, tasks, artifacts and logs.

Everything is lazy: objects hold a pathspec and read records on first use;
artifact values are read (and checked against their content hash) only when asked for.

Namespaces work as in Metaflow: by default only runs of the namespace
``user:<username>`` are visible; ``namespace(None)`` shows every run.

As in Metaflow, iterating over a flow, a run or a step yields its children newest
first, and every ``created_at`` / ``finished_at`` is a *naive* datetime in the
machine's local time zone (what Metaflow returns), so ``datetime.now() - run.created_at``
works. The records hold UTC; ``.astimezone(timezone.utc)`` gives an aware UTC value.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any, Dict, FrozenSet, Iterable, Iterator, List, Optional, Tuple

from ..exceptions import NamespaceMismatch, NotCommittedError, NotFoundError
from ..storage.liveness import reconcile
from ..tags import check_user_tag, is_system_tag
from ..user import default_namespace
from .backend import Backend, all_backends, backend_for_run
from .metadata import Metadata, task_metadata

if TYPE_CHECKING:
    from .code import Code

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


def _metaflow_time(value: Any) -> Optional[datetime]:
    """A record's ISO-8601 UTC time as Metaflow gives it: naive, in the local time zone."""
    aware = _parse_time(value)
    if aware is None:
        return None
    if aware.tzinfo is None:  # a record written without a zone is UTC
        from datetime import timezone

        aware = aware.replace(tzinfo=timezone.utc)
    return aware.astimezone().replace(tzinfo=None)


def _newest_first(records: List[Dict[str, Any]], time_field: str) -> List[Dict[str, Any]]:
    """Children newest first (Metaflow's order); ties, such as tasks started in the same
    millisecond, fall back to the highest task id first."""
    by_id = sorted(records, key=lambda r: _natural(str(r.get("task_id", ""))), reverse=True)
    return sorted(by_id, key=lambda r: str(r.get(time_field) or ""), reverse=True)


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
        """When it finished (None while running): naive local time, as in Metaflow."""
        return _metaflow_time(self._record.get("finished_at"))


class Flow:
    """A flow's runs: ``Flow("TrainFlow").latest_successful_run``."""

    def __init__(self, name: str) -> None:
        self.name = self.id = str(name).strip("/")
        if "/" in self.name:
            raise NotFoundError(f"{name!r} is not a flow name", fix="pass just the flow's class name, e.g. Flow('TrainFlow')")
        self._records: Optional[List[Tuple[Backend, Dict[str, Any]]]] = None
        if not self._all_records():
            raise missing_flow(self.name)

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

    @property
    def parent(self) -> None:
        """A flow has no parent (as in Metaflow)."""
        return None

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


def stores_read() -> str:
    """Which stores the client reads, for people: 'metadata in /p/.sfncompile/metadata.sqlite, ...'."""
    return "; ".join(_describe(b) for b in all_backends())


def _describe(backend: Backend) -> str:
    describe = getattr(backend.stores, "describe", None)
    return describe() if callable(describe) else backend.key


def missing_flow(name: str) -> NotFoundError:
    flows = sorted({f for b in all_backends() for f in _safe_flows(b)})
    return NotFoundError(f"flow {name!r} has no runs in {stores_read()}", fix=f"flows with runs there: {_listing(flows)}")


def list_runs(flow: str, *, status: Optional[str] = None, tag: Optional[str] = None,
              limit: int = 50, offset: int = 0) -> Tuple[List["Run"], int]:
    """One page of a flow's runs in the current namespace, newest first, and how many match in all.

    Each store filters and pages in its own query, so a page costs the same with 10 runs
    or 10,000 (``Flow(...).runs()`` reads them all)."""
    ns = get_namespace()
    backends = all_backends()
    merged: List[Tuple[Backend, Dict[str, Any]]] = []
    total = 0
    for backend in backends:
        # One store pages itself; several are merged, so each returns its first offset+limit runs.
        skip = offset if len(backends) == 1 else 0
        rows, count = backend.metadata.list_runs_page(flow, status=status, tag=tag, namespace=ns,
                                                      limit=limit + offset - skip, offset=skip)
        total += count
        merged += [(backend, r) for r in rows]
    if len(backends) > 1:
        merged.sort(key=lambda br: (str(br[1].get("created_at") or ""), str(br[1].get("run_id"))), reverse=True)
        merged = merged[offset: offset + limit]
    if total == 0 and status is None and tag is None and flow not in {f for b in backends for f in _safe_flows(b)}:
        raise missing_flow(flow)
    return [Run._from_record(flow, r, b) for b, r in merged], total


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
            for other in all_backends() if _record is None else ():
                _record = other.metadata.get_run(self.flow_name, self.id)  # e.g. a `run --datastore s3`
                if _record is not None:
                    self._backend = other
                    break
            if _record is None:
                raise NotFoundError(f"run {self.pathspec} does not exist", fix=_run_fix(self.flow_name, self._backend, self.id))
            ns = get_namespace()
            if not _in_namespace(_record, ns):
                raise NamespaceMismatch(
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
        """When the run was created: naive local time, as in Metaflow."""
        return _metaflow_time(self._record.get("created_at"))

    @property
    def parent(self) -> "Flow":
        """The run's Flow."""
        return Flow(self.flow_name)

    # tags -----------------------------------------------------------------------
    @property
    def tags(self) -> FrozenSet[str]:
        """Every tag of the run: user tags and system tags (``user:``, ``runtime:``, ...)."""
        return self.user_tags | self.system_tags

    @property
    def user_tags(self) -> FrozenSet[str]:
        """Tags given with ``--tag`` or ``add_tag``."""
        return frozenset(t for t in self._record.get("tags") or () if not is_system_tag(t))

    @property
    def system_tags(self) -> FrozenSet[str]:
        """Tags recorded when the run was created: ``user:<name>``, ``runtime:<local|sfn>``,
        ``sfncompile_version:<v>``, ``python_version:<v>`` (runs recorded before system tags
        existed still get ``user:`` and ``runtime:``, derived from the record)."""
        from ..tags import LOCAL_RUNTIME, SFN_RUNTIME
        from .backend import SFN_RUN_PREFIX

        derived = {f"runtime:{SFN_RUNTIME if self.id.startswith(SFN_RUN_PREFIX) else LOCAL_RUNTIME}"}
        if self.username:
            derived.add(f"user:{self.username}")
        return frozenset(t for t in self._record.get("tags") or () if is_system_tag(t)) | derived

    def add_tag(self, tag: str) -> None:
        """Add a user tag (a system tag, or a tag that is not a non-empty string, raises TaggingError)."""
        self.replace_tags([], [tag])

    def add_tags(self, tags: Iterable[str]) -> None:
        self.replace_tags([], list(tags))

    def remove_tag(self, tag: str) -> None:
        """Remove a user tag (absent: nothing happens; a system tag raises TaggingError)."""
        self.replace_tags([tag], [])

    def remove_tags(self, tags: Iterable[str]) -> None:
        self.replace_tags(list(tags), [])

    def replace_tag(self, old: str, new: str) -> None:
        """Remove ``old`` and add ``new`` in one update."""
        self.replace_tags([old], [new])

    def replace_tags(self, old: Iterable[str], new: Iterable[str]) -> None:
        """Remove the ``old`` user tags and add the ``new`` ones in one metadata update."""
        remove = {check_user_tag(t) for t in old}
        add = [check_user_tag(t) for t in new]
        current = [t for t in self._backend.metadata.get_run(self.flow_name, self.id).get("tags") or ()]
        kept = [t for t in current if t not in remove or t in add]
        tags = list(dict.fromkeys(kept + add))
        if tags != current:
            self._backend.metadata.update_run(self.flow_name, self.id, tags=tags)
        self._refresh()

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

    @property
    def graph(self) -> Any:
        """The run's graph IR (a FlowGraph, as stored by its start task), or None for a run that has none."""
        from ..graph.document import graph_from_document

        doc = self._backend.artifacts.get_graph(self.flow_name, self.id)
        return graph_from_document(doc) if doc else None

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

    def steps(self, *tags: str) -> List["Step"]:
        """The run's steps that have tasks, newest first (the step started last comes first)."""
        if tags and not set(tags) <= self.tags:
            return []
        return [Step(f"{self.pathspec}/{s}", _run=self) for s in reversed(self._step_names())]

    @property
    def code(self) -> Optional["Code"]:
        """The code package the run's tasks ran from, or None for a run whose tasks ran from
        local files (as in Metaflow, where only runs with remote steps have one). One task per
        step is asked: all tasks of a step run from the same package."""
        for step in self.steps():
            code = step.task.code
            if code is not None:
                return code
        return None

    def __iter__(self) -> Iterator["Step"]:
        return iter(self.steps())

    def __getitem__(self, step: str) -> "Step":
        records = self._task_records(step)
        if not records:
            raise _missing_step(self, step)
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
class _RunTags:
    """Steps and tasks carry their run's tags, as in Metaflow."""

    run: Run

    @property
    def tags(self) -> FrozenSet[str]:
        return self.run.tags

    @property
    def user_tags(self) -> FrozenSet[str]:
        return self.run.user_tags

    @property
    def system_tags(self) -> FrozenSet[str]:
        return self.run.system_tags


def _missing_step(run: Run, step: str) -> NotFoundError:
    """No task of ``step`` ran; when no task of the run ran at all, its record says why (e.g. a Step
    Functions execution that failed before its start task ran), and there is nothing logged to show."""
    steps = run._step_names()
    if not steps and run.finished and run.error:
        return NotFoundError(f"run {run.pathspec} has no step {step!r}: no task of the run ran, so it has no "
                             f"logs or artifacts ({run.error})",
                             fix=f"`sfncompile show {run.pathspec}` shows the run; fix what its error names and run it again")
    return NotFoundError(f"run {run.pathspec} has no step {step!r} (no task of it ran)",
                         fix=f"steps with tasks: {_listing(steps)}")


class Step(_RunTags):
    """The tasks of one step in a run: ``run["train"].task``."""

    def __init__(self, pathspec: str, _run: Optional[Run] = None, _records: Optional[List[Dict[str, Any]]] = None) -> None:
        flow, run_id, self.name = _split(pathspec, 3, "step", "Flow/run_id/step")
        self.id = self.name
        self.run = _run or Run(f"{flow}/{run_id}")
        self.pathspec = f"{self.run.pathspec}/{self.name}"
        if _records is None:
            _records = self.run._task_records(self.name)
            if not _records:
                raise _missing_step(self.run, self.name)
        self._records = sorted(_records, key=lambda t: _natural(str(t["task_id"])))

    @property
    def flow_name(self) -> str:
        return self.run.flow_name

    @property
    def parent(self) -> Run:
        """The step's Run."""
        return self.run

    def tasks(self, *tags: str) -> List["Task"]:
        """The step's tasks, newest first (Metaflow's order; sort by ``t.index`` or ``t.id``
        for foreach order)."""
        if tags and not set(tags) <= self.tags:
            return []
        return [Task(f"{self.pathspec}/{r['task_id']}", _run=self.run, _record=r)
                for r in _newest_first(self._records, "started_at")]

    @property
    def environment_info(self) -> Optional[Dict[str, Any]]:
        """The environment its tasks ran in (all tasks of a step share it)."""
        for task in self.tasks():
            return task.environment_info
        return None

    def __iter__(self) -> Iterator["Task"]:
        return iter(self.tasks())

    def __len__(self) -> int:
        return len(self._records)

    @property
    def task(self) -> "Task":
        """The step's task; for a step with several (foreach, loop), the newest one, as in Metaflow."""
        r = _newest_first(self._records, "started_at")[0]
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
        """When its first task started: naive local time, as in Metaflow."""
        times = [t for t in (_metaflow_time(r.get("started_at")) for r in self._records) if t]
        return min(times) if times else None

    @property
    def finished_at(self) -> Optional[datetime]:
        """When its last task finished (None while any runs): naive local time."""
        times = [_metaflow_time(r.get("finished_at")) for r in self._records]
        return None if not times or None in times else max(times)  # type: ignore[type-var]

    def __repr__(self) -> str:
        return f"Step('{self.pathspec}')"


# ----------------------------------------------------------------------------- Task
class Task(_RunTags, _StatusOfRecord):
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
                    raise _missing_step(self.run, self.step_name)
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
        """When the task started: naive local time, as in Metaflow."""
        return _metaflow_time(self._record.get("started_at"))

    @property
    def parent(self) -> Step:
        """The task's Step."""
        return Step(f"{self.run.pathspec}/{self.step_name}", _run=self.run)

    # metadata ------------------------------------------------------------------------
    @property
    def metadata(self) -> List["Metadata"]:
        """Every metadata entry of every attempt, oldest first (Metaflow's ``Task.metadata``):
        ``attempt``, ``attempt-done``, ``attempt_ok``, ``origin-run-id``, and what the
        attempt recorded about where it ran (``host``, ``python_version``, ``code_url``, ...)."""
        return task_metadata(self)

    @property
    def metadata_dict(self) -> Dict[str, Any]:
        """Name → value of the newest entry of each name (the latest attempt wins)."""
        return {m.name: m.value for m in sorted(self.metadata, key=lambda m: m.created_at or 0)}

    @property
    def environment_info(self) -> Dict[str, Any]:
        """Where the latest attempt ran: runtime (local or sfn), Python version and executable,
        platform, host, sfncompile version, and the Batch job id on AWS."""
        from .metadata import environment_info

        return environment_info(self.metadata_dict)

    @property
    def code(self) -> Optional["Code"]:
        """The code package this task ran from (deployed runs), or None (local files)."""
        from .code import Code

        meta = self.metadata_dict
        if not meta.get("code_sha256"):
            return None
        return Code(self._backend, self.flow_name, str(meta["code_sha256"]), meta.get("code_url"), meta.get("flow_file"))

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

    @property
    def cards(self) -> List[Any]:
        """The task's cards (``Card``: ``.id``, ``.html``, ``.path``), of its successful attempt or else its latest."""
        from .cards import task_cards

        return task_cards(self)

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



# ----------------------------------------------------------------------------- entry points
class Metaflow:
    """The client's root, as in Metaflow: ``Metaflow().flows`` lists every flow with runs
    in the current namespace, by name."""

    @property
    def flows(self) -> List[Flow]:
        return list(self)

    def __iter__(self) -> Iterator[Flow]:
        names = sorted({name for backend in all_backends() for name in _safe_flows(backend)})
        ns = get_namespace()
        for name in names:
            flow = Flow(name)
            if any(_in_namespace(record, ns) for _, record in flow._all_records()):
                yield flow

    def __repr__(self) -> str:
        return "Metaflow()"


def get_metadata() -> str:
    """Where the client reads runs from, as Metaflow prints it: ``local@<store dir>`` or
    ``dynamodb@<table>`` (plus ``+dynamodb@<table>`` when AWS is configured too)."""
    described = []
    for backend in all_backends():
        url = backend.metadata.url
        if url.startswith("sqlite:"):
            import os

            described.append(f"local@{os.path.dirname(url[len('sqlite:'):])}")
        else:
            described.append(url.replace(":", "@", 1))
    return "+".join(described)
