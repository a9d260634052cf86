"""run_task: run ONE task of a flow. The local worker and the Batch container both call it.

What a task does, in order:
1. record the attempt as RUNNING (metadata);
2. resolve its parents from the graph + metadata (``inputs.py``) and attach their
   artifacts lazily (nothing is read until the step uses it);
3. run the step's code with stdout/stderr captured (and echoed with the pathspec),
   ``current`` set, @environment applied, @timeout armed;
4. check ``self.next`` against the static graph; for a foreach record the
   cardinality (+ the ``foreach.json`` manifest), for a switch the chosen case;
5. persist every public attribute the step set and every inherited artifact it read
   (changed in place or not: content-addressed blobs make an unchanged one free), and
   carry every other inherited artifact by reference (its index entry; no data read);
6. commit the attempt (index written last), then close the attempt in the metadata
   store; when the end step succeeds, mark the run SUCCEEDED.

On failure, the traceback goes to the task's stderr log and the metadata. With @catch,
on the last attempt, the exception is stored as an artifact and the task succeeds:
the flow goes on to the step's static successor. A switch that failed goes to its
first case that does not loop back (never round a loop again); a foreach split that
failed fans out to zero items, and its join runs with empty ``inputs`` but inherits
the split's artifacts (so the caught exception stays readable downstream).
"""
from __future__ import annotations

import os
import sys
import time
import traceback
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple, Type

from ..tags import LOCAL_RUNTIME, SFN_RUNTIME, system_tags
from ..user import default_namespace, default_username
from ..exceptions import ArtifactError, SfnCompileError
from ..flow.current import current
from ..flow.flowspec import FlowSpec, Inputs
from ..graph.ir import END, FOREACH, FRAME_FOREACH, SWITCH, FlowGraph, StepNode
from ..graph.taskid import parse_task_id
from ..storage.interfaces import FAILED, RUNNING, SUCCEEDED
from ..storage.records import RUN_FIELDS, complete, iso_of, now_iso
from .artifacts import ArtifactIO, IndexSource
from .capture import Capture
from .cards import live_refresh, new_collection, step_values, store_cards
from .caught import CaughtException, short_error
from .environment_info import attempt_info
from .decorators import alarm, catch_settings, environment, environment_vars, retry_policy, timeout_seconds
from .inputs import InputError, ParentRef, resolve_parents, split_task
from .run_context import current_fields, project_tags

EXCEPTION_ARTIFACT = "_exception"  # index entry of a caught exception (whatever @catch(var=) says)
END_CAUGHT = "the end step failed (its exception was caught by @catch)"


class TransitionError(SfnCompileError):
    """A step's ``self.next`` does not match the static graph, or its switch/foreach value is unusable."""

    headline = "transition error"


class TaskKilled(Exception):
    """The attempt failed outside user code: its worker was killed (by the OS, a signal, or a @timeout)."""


@dataclass
class TaskSettings:
    """Static settings of a task (env vars on Batch; the local scheduler passes them)."""

    username: str = ""
    namespace: str = ""
    production: bool = False
    echo: bool = True  # tee the step's output to this process's stdout/stderr
    echo_traceback: bool = True  # also print the failure traceback (the local scheduler prints it itself)
    tty: bool = False  # clear a progress line before echoing

    @classmethod
    def from_env(cls, **overrides: Any) -> "TaskSettings":
        values: Dict[str, Any] = dict(
            username=default_username(),
            namespace=default_namespace(),
            production=os.environ.get("SFNCOMPILE_PRODUCTION", "") in ("1", "true", "yes"),
        )
        values.update(overrides)
        return cls(**values)


@dataclass
class TaskResult:
    """What one attempt of a task ended as (what the scheduler and the task command act on)."""

    flow: str
    run_id: str
    step: str
    task_id: str
    attempt: int
    status: str
    started: float
    finished: float
    cardinality: Optional[int] = None
    choice: Optional[str] = None
    caught: bool = False
    error: Optional[str] = None  # traceback text (of a failure, or of the exception @catch caught)
    error_type: Optional[str] = None
    retryable: bool = True  # False for failures retrying cannot fix (missing inputs)
    run_succeeded: bool = False  # the end step succeeded: the run was marked SUCCEEDED
    reused_attempt: Optional[int] = None  # already succeeded in this attempt: user code was not run again

    @property
    def ok(self) -> bool:
        return self.status == SUCCEEDED

    @property
    def pathspec(self) -> str:
        return f"{self.flow}/{self.run_id}/{self.step}/{self.task_id}"

    @property
    def duration(self) -> float:
        return self.finished - self.started

    @property
    def error_line(self) -> str:
        return short_error(self.error)


def run_task(
    flow_cls: Type[FlowSpec],
    graph: FlowGraph,
    step: str,
    run_id: str,
    task_id: str,
    attempt: int,
    *,
    stores: Any,
    settings: Optional[TaskSettings] = None,
    run_params: Optional[Mapping[str, Any]] = None,
    run_info: Optional[Mapping[str, Any]] = None,
    forced_failure: Optional[str] = None,
) -> TaskResult:
    """Run one attempt of one task; never raises for failures of the step (see TaskResult.status)."""
    settings = settings or TaskSettings.from_env()
    started = time.time()
    flow = graph.name
    if step not in graph:
        raise SfnCompileError(
            f"flow {flow} has no step '{step}'", fix=f"steps are: {', '.join(graph.steps)}"
        )
    node = graph[step]
    try:
        values = parse_task_id(node.scope, task_id)
    except ValueError as exc:
        raise SfnCompileError(f"task id {task_id!r} does not fit step '{step}': {exc}") from None
    pathspec = f"{flow}/{run_id}/{step}/{task_id}"
    metadata = stores.metadata
    # A Step Functions task's record: read once, for the reuse check and the attempt number.
    task_record = metadata.get_task(flow, run_id, step, task_id) if run_id.startswith("sfn-") else None
    reused = _reuse_succeeded_task(metadata, node, task_record, flow, run_id, step, task_id, attempt, started)
    if reused is not None:
        return reused
    aio = ArtifactIO(stores.artifacts, flow, metadata)
    if run_info is None:
        run_info = metadata.get_run(flow, run_id)
        if run_info is None:
            if step != "start":
                raise InputError(
                    f"run {flow}/{run_id} does not exist, so its step '{step}' cannot run",
                    fix="a run starts with its start task (or `sfncompile run` / `sfncompile trigger`)",
                )
            # A run started without a scheduler or trigger (e.g. a scheduled Step Functions execution).
            run_info = _create_run_record(metadata, flow, run_id, settings, run_params, aio, flow_cls)
    if step == "start" and run_params is None:
        run_params = _run_parameters(run_info)
    if step == "start":
        record_graph(aio, graph, run_id)
    retry_count = attempt  # what @retry / @catch count (Step Functions: $$.State.RetryCount)
    attempt = _storage_attempt(task_record, attempt)
    metadata.start_attempt(
        flow, run_id, step, task_id, attempt, started_at=now_iso(), info=attempt_info(settings.production)
    )
    result = TaskResult(flow, run_id, step, task_id, attempt, RUNNING, started, started)
    retries, _delay = retry_policy(node)
    catch = catch_settings(node)
    obj = flow_cls._sfn_instance()
    object.__setattr__(obj, "_sfn_label", pathspec)
    capture = Capture(f"[{pathspec}] ", echo=settings.echo, clear_line=settings.tty)
    parents: List[ParentRef] = []
    carried: Dict[str, Mapping[str, Any]] = {}
    new_entries: Dict[str, Dict[str, Any]] = {}
    failure: Optional[BaseException] = None
    tb_text = ""
    cards = new_collection(node)
    live_refresh(cards, aio, run_id, step, task_id, attempt, obj)
    try:
        with capture:
            try:
                if forced_failure:
                    raise TaskKilled(forced_failure)
                parents = resolve_parents(graph, metadata, flow, run_id, node, values)
                inputs = _attach(obj, flow_cls, graph, node, values, parents, aio, run_id, run_params)
                current._set(
                    flow_name=flow,
                    run_id=run_id,
                    step_name=step,
                    task_id=task_id,
                    retry_count=retry_count,
                    namespace=run_info.get("namespace") or settings.namespace,
                    username=run_info.get("username") or settings.username,
                    origin_run_id=run_info.get("origin_run_id"),
                    tags=tuple(run_info.get("tags") or ()),
                    parameter_names=[p.attribute for p in graph.parameters],
                    card=cards,
                    **current_fields(graph, run_info, settings.production),
                )
                func = getattr(flow_cls, step)
                with environment(environment_vars(node)), alarm(timeout_seconds(node), step):
                    if node.is_join:
                        func(obj, inputs)
                    else:
                        func(obj)
                result.cardinality, result.choice = check_transition(node, obj)
                if catch is not None and catch.get("var") and catch["var"] not in vars(obj):
                    object.__setattr__(obj, catch["var"], None)  # Metaflow: the var is None when the step succeeds
                new_entries = _persist(obj, aio)
            except BaseException as exc:  # noqa: B902 - user code may raise anything
                failure = exc
                tb_text = format_user_traceback(exc)
                if isinstance(exc, InputError):
                    result.retryable = False
                if catch is not None and retry_count >= retries and not isinstance(exc, InputError):
                    capture.stderr.record(tb_text)
                    if catch.get("print_exception", True):
                        print(f"@catch: {short_error(tb_text)} (stored in self.{catch.get('var') or EXCEPTION_ARTIFACT})",
                              file=sys.stderr)
                    caught = CaughtException.from_exception(exc, tb_text, step, pathspec)
                    new_entries = _persist(obj, aio, skip_unpicklable=True)
                    exc_entry = aio.save(caught)
                    new_entries[EXCEPTION_ARTIFACT] = exc_entry
                    if catch.get("var"):
                        new_entries[catch["var"]] = exc_entry
                    result.cardinality, result.choice = fallback_route(node)
                    result.caught = True
                    result.error = tb_text
                    failure = None
                else:
                    capture.stderr.record(tb_text)
                    if settings.echo_traceback:
                        capture.stderr.echo(tb_text)
            finally:
                current._clear()
        if failure is None:
            carried = _carried(obj)
    finally:
        finished = time.time()
        result.finished = finished
        try:
            aio.put_logs(run_id, step, task_id, attempt, capture.stdout.text(), capture.stderr.text())
        except Exception:  # logs are best effort; the task outcome matters more
            pass
    card_ids = store_cards(
        cards, aio, run_id, step, task_id, attempt, step_values=step_values(obj),
        entries={**carried, **new_entries}, error=tb_text if failure is not None else None,
    ) if len(cards) else []
    if failure is None:
        entries = dict(carried)
        entries.update(new_entries)
        if result.cardinality is not None and node.transition == FOREACH:
            aio.put_manifest(run_id, step, task_id, result.cardinality)
        aio.commit(
            run_id,
            step,
            task_id,
            attempt,
            entries,
            extra={
                "pathspec": pathspec,
                "attempt": attempt,
                "values": list(values),
                "foreach_stack": _foreach_indices(node, values),
                "parents": [f"{p.step}/{p.task_id}" for p in parents],
                "cardinality": result.cardinality,
                "choice": result.choice,
                "caught": result.caught,
                "cards": card_ids,
                "started_at": iso_of(started),
                "finished_at": iso_of(finished),
            },
        )
        metadata.finish_attempt(
            flow,
            run_id,
            step,
            task_id,
            attempt,
            status=SUCCEEDED,
            finished_at=iso_of(finished),
            cardinality=result.cardinality,
            choice=result.choice,
            next_visit=next_visit(graph, node, values, result.choice),
        )
        result.status = SUCCEEDED
        if node.transition == END and result.caught:
            # As in Metaflow, a run whose end step failed is not successful, even when @catch caught it.
            metadata.update_run(flow, run_id, status=FAILED, finished_at=iso_of(finished), failed_step=step,
                                error=f"{END_CAUGHT}: {short_error(tb_text)}")
        elif node.transition == END:
            metadata.update_run(flow, run_id, status=SUCCEEDED, finished_at=iso_of(finished))
            result.run_succeeded = True
    else:
        result.status = FAILED
        result.error = tb_text
        result.error_type = type(failure).__name__
        metadata.finish_attempt(
            flow, run_id, step, task_id, attempt, status=FAILED, finished_at=iso_of(finished), error=tb_text
        )
        if run_id.startswith("sfn-") and (not result.retryable or retry_count >= retries):
            # Step Functions will not try again: the failing Task state ends the execution
            # (no Catch routes it anywhere, so a redrive resumes right here), and the
            # run record says why before the job exits non-zero.
            metadata.update_run(
                flow, run_id, status=FAILED, failed_step=step, error=short_error(tb_text), finished_at=iso_of(finished)
            )
    # Drop references to (possibly large) artifact values before returning, so that their memory is free
    # when the scheduler learns the result: the card refresher holds ``obj`` and its collection holds the
    # refresher (a cycle that only a garbage collection would break).
    cards.set_refresher(None)
    del obj
    return result


def _storage_attempt(record: Optional[Mapping[str, Any]], attempt: int) -> int:
    """The attempt number this try is stored under: never one already used.

    A redrive restarts Step Functions' retry count at 0, so a redriven task would
    overwrite its failed attempt 0 (logs, record). Each try gets its own storage: when
    the number is taken, the next free one is used (retries still count from the
    retry count). Local runs number attempts themselves and never collide (``record`` is
    the task's metadata record on Step Functions, None for local runs).
    """
    if record is None or record.get("attempt") is None or int(record["attempt"]) < attempt:
        return attempt
    return int(record["attempt"]) + 1


def _reuse_succeeded_task(
    metadata: Any, node: StepNode, record: Optional[Mapping[str, Any]], flow: str, run_id: str, step: str,
    task_id: str, attempt: int, started: float,
) -> Optional[TaskResult]:
    """A Step Functions task that already succeeded is not run again: its result stands.

    Task ids are deterministic, so a redriven execution (which re-enters finished states
    in some cases, and in the test emulator re-runs them all) and a Batch job delivered
    twice land on a task whose latest successful attempt is already committed. Its
    artifacts, and the control data the state machine reads (cardinality, choice,
    next_visit, the foreach manifest), are in place: nothing is recorded again and user
    code does not run a second time. Local runs never get here (their scheduler does not
    re-run finished tasks, and resume makes a new run).
    """
    if not record or record.get("status") != SUCCEEDED or record.get("successful_attempt") is None:
        return None
    done = int(record["successful_attempt"])
    print(f"[{flow}/{run_id}/{step}/{task_id}] already succeeded in attempt {done}: reused, not run again",
          flush=True)
    result = TaskResult(flow, run_id, step, task_id, attempt, SUCCEEDED, started, time.time(),
                        cardinality=record.get("cardinality"), choice=record.get("choice"), reused_attempt=done)
    if node.transition == END:
        # The end task marked the run SUCCEEDED when it ran; a redrive reset the run to RUNNING.
        run = metadata.get_run(flow, run_id) or {}
        if run.get("status") != SUCCEEDED:
            metadata.update_run(flow, run_id, status=SUCCEEDED, finished_at=iso_of(result.finished))
        result.run_succeeded = True
    return result


# ----------------------------------------------------------------------------- inputs
def _attach(
    obj: FlowSpec,
    flow_cls: Type[FlowSpec],
    graph: FlowGraph,
    node: StepNode,
    values: Tuple[int, ...],
    parents: Sequence[ParentRef],
    aio: ArtifactIO,
    run_id: str,
    run_params: Optional[Mapping[str, Any]],
) -> Optional[Inputs]:
    """Attach artifact sources (and the foreach stack); for a join, build ``inputs``."""
    flow = graph.name
    object.__setattr__(obj, "_sfn_foreach", foreach_loaders(graph, node, values, aio, run_id))
    if node.name == "start" and not parents:
        from .params import start_task_parameters

        by_attr, entries = start_task_parameters(flow_cls, run_params)
        saved = {attr: aio.save(value, attribute=attr) for attr, value in by_attr.items()}
        saved.update(entries)
        source = IndexSource(aio, saved, f"{flow}/{run_id}/_parameters")
        for attr, value in by_attr.items():
            source.prime(attr, value)
        obj._sfn_attach(source)
        return None
    sources = [IndexSource(aio, _index(aio, run_id, p), f"{flow}/{run_id}/{p.step}/{p.task_id}") for p in parents]
    if not node.is_join:
        obj._sfn_attach(sources[0])
        return None
    param_attrs = [p.attribute for p in graph.parameters]
    if sources:
        obj._sfn_attach(sources[0].restricted(param_attrs))
    else:
        # A caught foreach split fanned out to zero items: the join inherits the split's artifacts.
        split = graph[node.matching_split]  # type: ignore[index]
        split_id, _ = split_task(graph, node, values, split.name)
        record = aio_metadata_task(aio, run_id, split.name, split_id)
        obj._sfn_attach(IndexSource(aio, _index(aio, run_id, record), f"{flow}/{run_id}/{split.name}/{split_id}"))
    views = []
    for ref, source in zip(parents, sources):
        view = flow_cls._sfn_instance()
        view._sfn_attach(source)
        pnode = graph[ref.step]
        object.__setattr__(view, "_sfn_foreach", foreach_loaders(graph, pnode, ref.values, aio, run_id))
        object.__setattr__(view, "_sfn_label", f"{flow}/{run_id}/{ref.step}/{ref.task_id}")
        object.__setattr__(view, "_sfn_read_only", True)
        views.append(view)
    inputs = Inputs(views, [p.step for p in parents])
    object.__setattr__(obj, "_sfn_inputs", inputs)
    return inputs


def aio_metadata_task(aio: ArtifactIO, run_id: str, step: str, task_id: str) -> ParentRef:
    record = aio.metadata.get_task(aio.flow, run_id, step, task_id) if aio.metadata else None
    if not record or record.get("successful_attempt") is None:
        raise InputError(f"{aio.flow}/{run_id}/{step}/{task_id} has no successful attempt")
    return ParentRef(step, task_id, (), int(record["successful_attempt"]), record)


def _index(aio: ArtifactIO, run_id: str, ref: ParentRef) -> Dict[str, Dict[str, Any]]:
    doc = aio.attempt(run_id, ref.step, ref.task_id, ref.attempt)
    if doc is None:
        raise InputError(
            f"{aio.flow}/{run_id}/{ref.step}/{ref.task_id} attempt {ref.attempt} is recorded as successful "
            "but its artifacts were never committed",
            fix="resume the run to re-run that task",
        )
    return doc.get("artifacts") or {}


def foreach_loaders(
    graph: FlowGraph, node: StepNode, values: Sequence[int], aio: ArtifactIO, run_id: str
) -> Tuple["SplitFrame", ...]:
    """A frame per enclosing foreach, outermost first; count and item load lazily from the split task."""
    out = []
    for frame, value in zip(node.scope, values):
        if frame.kind != FRAME_FOREACH:
            continue
        split = graph[frame.name]
        split_id, _ = split_task(graph, node, values, split.name)
        out.append(SplitFrame(aio, run_id, split, split_id, value))
    return tuple(out)


class SplitFrame:
    """One foreach frame of a task (``FlowSpec.foreach_stack()``): read from the split's committed attempt."""

    def __init__(self, aio: ArtifactIO, run_id: str, split: StepNode, split_id: str, index: int) -> None:
        self.index = index
        self._aio = aio
        self._run_id = run_id
        self._split = split
        self._split_id = split_id
        self._doc: Optional[Dict[str, Any]] = None
        self._value: List[Any] = []

    def _record(self) -> Dict[str, Any]:
        if self._doc is None:
            ref = aio_metadata_task(self._aio, self._run_id, self._split.name, self._split_id)
            _index(self._aio, self._run_id, ref)  # InputError if the attempt was never committed
            self._doc = self._aio.attempt(self._run_id, ref.step, ref.task_id, ref.attempt)
        return self._doc  # type: ignore[return-value]

    @property
    def num_splits(self) -> int:
        cardinality = self._record().get("cardinality")
        if cardinality is None:
            raise InputError(f"foreach split {self._split.name}/{self._split_id} recorded no cardinality")
        return int(cardinality)

    @property
    def value(self) -> Any:
        if not self._value:
            entries = self._record().get("artifacts") or {}
            var = self._split.foreach_var or ""
            if var not in entries:
                raise InputError(f"foreach split {self._split.name}/{self._split_id} has no artifact '{var}'")
            self._value.append(item_at(self._aio.load(entries[var]), self.index))
        return self._value[0]


def item_at(seq: Any, index: int) -> Any:
    if isinstance(seq, (dict, set, frozenset)) or not hasattr(seq, "__getitem__"):
        seq = list(seq)
    return seq[index]


def _foreach_indices(node: StepNode, values: Sequence[int]) -> List[int]:
    return [v for f, v in zip(node.scope, values) if f.kind == FRAME_FOREACH]


# ----------------------------------------------------------------------------- transitions
def _describe_expected(node: StepNode) -> str:
    if node.transition == SWITCH:
        cases = ", ".join(f"{c.value!r}: self.{c.target}" for c in node.switch_cases)
        return f"self.next({{{cases}}}, condition={node.condition!r})"
    targets = ", ".join(f"self.{s}" for s in node.successors)
    if node.transition == FOREACH:
        return f"self.next({targets}, foreach={node.foreach_var!r})"
    return f"self.next({targets})"


def _describe_actual(t: Any) -> str:
    if t.cases is not None:
        cases = ", ".join(f"{k!r}: self.{v}" for k, v in t.cases.items())
        return f"self.next({{{cases}}}, condition={t.condition!r})"
    targets = ", ".join(f"self.{s}" for s in t.steps)
    if t.foreach is not None:
        return f"self.next({targets}, foreach={t.foreach!r})"
    return f"self.next({targets})"


def check_transition(node: StepNode, obj: FlowSpec) -> Tuple[Optional[int], Optional[str]]:
    """Check ``self.next`` against the graph; return (cardinality, choice)."""
    t = obj._sfn_transition
    if node.transition == END:
        if t is not None:
            raise TransitionError(f"the end step called {_describe_actual(t)}", fix="the end step must not call self.next")
        return None, None
    if t is None:
        raise TransitionError(
            f"step '{node.name}' finished without calling self.next",
            fix=f"end the step with {_describe_expected(node)}",
        )
    mismatch = TransitionError(
        f"step '{node.name}' called {_describe_actual(t)}, but the flow's graph says {_describe_expected(node)}",
        fix="the graph is read from the source; every run of a step must call the same self.next",
    )
    if node.transition == SWITCH:
        expected = {c.value: c.target for c in node.switch_cases}
        if t.cases is None or t.condition != node.condition or dict(t.cases) != expected:
            raise mismatch
        try:
            value = getattr(obj, node.condition)  # type: ignore[arg-type]
        except AttributeError:
            raise TransitionError(
                f"switch in step '{node.name}': self.{node.condition} was never set",
                fix=f"set self.{node.condition} to one of {', '.join(map(repr, expected))} before self.next",
            ) from None
        key = value if isinstance(value, str) else str(value)
        if key not in expected:
            raise TransitionError(
                f"switch in step '{node.name}': self.{node.condition} is {value!r}, which is none of the cases "
                f"{', '.join(map(repr, expected))}",
                fix=f"set self.{node.condition} to one of the case values",
            )
        return None, key
    if t.cases is not None or tuple(t.steps) != tuple(node.successors):
        raise mismatch
    if node.transition == FOREACH:
        if t.foreach != node.foreach_var:
            raise mismatch
        var = node.foreach_var
        try:
            items = getattr(obj, var)  # type: ignore[arg-type]
        except AttributeError:
            raise TransitionError(
                f"foreach in step '{node.name}': self.{var} was never set", fix=f"set self.{var} to a list"
            ) from None
        try:
            n = len(items)
        except TypeError:
            raise TransitionError(
                f"foreach in step '{node.name}': self.{var} is a {type(items).__name__}, which has no length",
                fix=f"make self.{var} a list (e.g. self.{var} = list(...))",
            ) from None
        if n == 0:
            raise TransitionError(
                f"foreach in step '{node.name}': self.{var} is empty, so there is nothing to fan out to",
                fix=f"make sure self.{var} has at least one item (or branch around the foreach with a switch)",
            )
        return n, None
    if t.foreach is not None:
        raise mismatch
    return None, None


def next_visit(graph: FlowGraph, node: StepNode, values: Sequence[int], choice: Optional[str]) -> Optional[int]:
    """For a switch whose chosen case loops back: the visit number the target's task gets."""
    if choice is None:
        return None
    for case in node.switch_cases:
        if case.value == choice and case.loops_back:
            from ..graph.transitions import next_values

            target = graph[case.target]
            new = next_values(graph, node, values, target)
            for frame, value in zip(target.scope, new):
                if frame.kind == "loop" and frame.name == target.name:
                    return value
    return None


def fallback_route(node: StepNode) -> Tuple[Optional[int], Optional[str]]:
    """Where a caught failure goes: static successor; a switch's first non-loop-back case; a foreach: 0 items."""
    if node.transition == SWITCH:
        cases = [c for c in node.switch_cases if not c.loops_back] or list(node.switch_cases)
        return None, cases[0].value
    if node.transition == FOREACH:
        return 0, None
    return None, None


# ----------------------------------------------------------------------------- persisting
# Values of these types cannot change in place: an inherited one that was only read needs no new write.
_IMMUTABLE = (type(None), bool, int, float, complex, str, bytes, range)


def _persist(obj: FlowSpec, aio: ArtifactIO, *, skip_unpicklable: bool = False) -> Dict[str, Dict[str, Any]]:
    """Store every public attribute the step set, and every inherited artifact it read; return their entries.

    An inherited artifact the step loaded may have been changed in place
    (``self.items.append(x)``), so it is stored again, as Metaflow does; an unchanged
    one pickles to the same bytes, so it keeps its sha and no blob is written.
    """
    values = {name: value for name, value in obj._sfn_loaded.items() if type(value) not in _IMMUTABLE}
    values.update(vars(obj))
    entries: Dict[str, Dict[str, Any]] = {}
    for name, value in values.items():
        if name.startswith("_"):
            continue
        try:
            entries[name] = aio.save(value, attribute=name)
        except ArtifactError:
            if not skip_unpicklable:
                raise
    return entries


def _carried(obj: FlowSpec) -> Dict[str, Mapping[str, Any]]:
    """Index entries of every artifact visible through the task's sources (earlier sources win)."""
    out: Dict[str, Mapping[str, Any]] = {}
    registry: Dict[str, Mapping[str, Any]] = {}
    sources = list(obj._sfn_sources)
    for source in sources:
        if isinstance(source, IndexSource):
            registry.update({e["sha"]: e for e in source.entries.values()})
    for source in reversed(sources):
        for name in list(source.names()):
            if name.startswith("_"):
                continue
            if isinstance(source, IndexSource):
                out[name] = source.entries[name]
            else:  # merge_artifacts' picked view: look the entry up by its sha
                sha = source.sha(name)
                entry = registry.get(sha) or _entry_via(source, name)
                out[name] = entry
    return out


def _entry_via(source: Any, name: str) -> Mapping[str, Any]:
    inner = getattr(source, "_picked", {}).get(name)
    if isinstance(inner, IndexSource):
        return inner.entries[name]
    if inner is not None:
        return _entry_via(inner, name)
    return {"sha": source.sha(name)}


# ----------------------------------------------------------------------------- errors
_HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def format_user_traceback(exc: BaseException) -> str:
    """The traceback from the first frame outside sfncompile (the user's step) down."""
    if isinstance(exc, (SfnCompileError, TaskKilled)) and not _has_user_frames(exc):
        return f"{type(exc).__name__}: {exc}\n"
    te = traceback.TracebackException.from_exception(exc)
    frames = list(te.stack)
    keep = 0
    for i, fs in enumerate(frames):
        if not os.path.abspath(fs.filename).startswith(_HERE):
            keep = i
            break
    else:
        keep = 0
    te.stack = traceback.StackSummary.from_list(frames[keep:])
    return "".join(te.format())


def _has_user_frames(exc: BaseException) -> bool:
    tb = exc.__traceback__
    while tb is not None:
        if not os.path.abspath(tb.tb_frame.f_code.co_filename).startswith(_HERE):
            return True
        tb = tb.tb_next
    return False


# ----------------------------------------------------------------------------- run record
def _run_parameters(run_info: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    if not run_info:
        return {}
    params = run_info.get("parameters") or {}
    if isinstance(params, str):
        import json

        params = json.loads(params) if params else {}
    return dict(params)


def _create_run_record(metadata, flow, run_id, settings, run_params, aio, flow_cls) -> Dict[str, Any]:
    """A run started without a scheduler (a Step Functions execution, or a hand-run task)."""
    params = dict(run_params or {})  # checked by the start task
    record = {
        "flow": flow, "run_id": run_id, "status": RUNNING, "created_at": now_iso(),
        "tags": system_tags(settings.username, SFN_RUNTIME if settings.production else LOCAL_RUNTIME)
        + list(project_tags(flow, flow_cls, settings.username)),
        "namespace": settings.namespace, "username": settings.username, "parameters": params,
    }
    if metadata.create_run(**record):  # the record is what was just written: no read back
        return complete(record, RUN_FIELDS)
    # Another writer created it first (the first record stays): read the one that won.
    return metadata.get_run(flow, run_id) or {"namespace": settings.namespace, "username": settings.username}


def record_graph(aio: ArtifactIO, graph: FlowGraph, run_id: str) -> None:
    """Store the run's graph IR (readers such as the UI draw it without the flow's source); best effort."""
    from ..graph.document import graph_document

    try:
        aio.store.put_graph(aio.flow, run_id, graph_document(graph))
    except Exception as exc:  # noqa: BLE001 - a picture must not fail the run
        print(f"[{aio.flow}/{run_id}] could not store the run's graph: {type(exc).__name__}: {exc}", file=sys.stderr)

