"""The local scheduler: walks the graph IR and runs each task in a fresh process of its own.

Successors follow the identity rule (``graph.transitions.next_values``): a split's
recorded cardinality fans out, a switch's recorded choice routes, a join becomes
ready when all its inputs arrived (one per item, or one per branch). Branches and
foreach items run in parallel, up to ``max_workers`` at a time.

Failures: an attempt that fails (the step raised, timed out, or its process died)
is retried per @retry after its delay; a task out of attempts fails the run
(running tasks are stopped, the run is marked FAILED, artifacts of finished tasks
stay readable). Ctrl-C, SIGTERM or SIGHUP stop every task (their process groups
are killed) and mark the run FAILED with what happened; further signals during
that cleanup are ignored. Any other error of the scheduler also marks the run
FAILED before it is raised. While it runs, the scheduler keeps its run's liveness
fields fresh (``liveness.py``), so a scheduler killed outright reads as FAILED.

Each task runs in a process of its own (``pool.py``): a fresh fork of this
process (or a spawned interpreter), so no task sees what an earlier one changed.
A step with a package environment (``environments/``, prepared before the run is
recorded) runs in a fresh process of its environment's interpreter instead
(``interpreter.py``), with the same process group, capture and kill handling.

Resume: a new run that reuses (clones: metadata + artifact index, same blobs)
every successful task of the origin run reached through reused parents only, up
to the failure or to ``--step``; everything after runs again.
"""
from __future__ import annotations

import heapq
import itertools
import os
import signal
import time
from collections import deque
from functools import partial
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Deque, Dict, List, Mapping, Optional, Sequence, Tuple

from ..exceptions import IntegrityError, NotCommittedError, SfnCompileError, StorageError
from ..graph.ir import BRANCH, END, FOREACH, SWITCH, FlowGraph, StepNode
from ..graph.taskid import render_task_id
from ..graph.transitions import next_values
from ..runtime.caught import short_error
from ..runtime.decorators import catch_settings, retry_policy, timeout_seconds
from ..runtime.task import TaskResult, TaskSettings, record_graph
from ..storage.records import now_iso
from ..runtime.run_context import project_tags
from ..tags import LOCAL_RUNTIME, run_tags
from ..user import default_namespace, default_username
from ..storage.interfaces import FAILED, RUNNING, SUCCEEDED
from ..storage import liveness
from . import relay
from .output import Reporter
from .pool import Pool, TaskProcess

# What a signal that stops a run is reported as (run error, and the line printed).
SIGNAL_NAMES: Dict[int, str] = {
    signal.SIGINT: "interrupted by the user (Ctrl-C)",
    signal.SIGTERM: "terminated (SIGTERM)",
    signal.SIGHUP: "hung up (SIGHUP: the terminal or ssh session closed)",
}
FINAL_WRITE_TRIES = 5  # the run's final status is retried (e.g. a disk that was full for a moment)

DEFAULT_MAX_WORKERS = os.cpu_count() or 2  # one worker per CPU, as the run --help says
TIMEOUT_GRACE = 2.0  # seconds after @timeout before the task process group is killed (the in-task alarm fires first)


def new_run_id() -> str:
    """Sortable and unique across concurrent runs: UTC time to the millisecond + random hex."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y%m%d%H%M%S") + f"{now.microsecond // 1000:03d}-{os.urandom(2).hex()}"


@dataclass
class RunOutcome:
    flow: str
    run_id: str
    status: str
    duration: float
    tasks: int
    failed_pathspec: Optional[str] = None
    error: Optional[str] = None
    interrupted: bool = False
    signal: Optional[int] = None  # the signal that stopped the run

    @property
    def ok(self) -> bool:
        return self.status == SUCCEEDED

    @property
    def exit_code(self) -> int:
        if self.ok:
            return 0
        return 128 + int(self.signal) if self.signal else 1


class RunInterrupted(KeyboardInterrupt):
    """A signal (SIGINT, SIGTERM, SIGHUP) stopped the run."""

    def __init__(self, signum: int) -> None:
        super().__init__(SIGNAL_NAMES.get(signum, f"signal {signum}"))
        self.signum = signum


@dataclass(order=True)
class _Pending:
    step: str
    values: Tuple[int, ...]
    attempt: int = 0
    forced: Optional[str] = None  # run only the failure path (process killed/timed out, @catch applies)


class LocalRunner:
    def __init__(
        self,
        flow_cls: type,
        graph: FlowGraph,
        *,
        parameters: Optional[Mapping[str, Any]] = None,
        max_workers: Optional[int] = None,
        tags: Sequence[str] = (),
        stores: Any = None,
        reporter: Optional[Reporter] = None,
        origin_run_id: Optional[str] = None,
        resume: bool = False,
        resume_step: Optional[str] = None,
        run_id: Optional[str] = None,
        max_num_splits: Optional[int] = None,
        use_environments: bool = True,
        remote: Any = None,
    ) -> None:
        self.flow_cls = flow_cls
        # A second executor with the pool's shape (start/poll/kill/running), e.g. ``hybrid.BatchExecutor``:
        # the tasks it ``wants(step, forced)`` run there instead of in a local process.
        self.remote = remote
        self.use_environments = use_environments
        self.max_num_splits = max_num_splits
        self.graph = graph
        self.flow = graph.name
        self.supplied = dict(parameters or {})
        self.max_workers = max_workers or DEFAULT_MAX_WORKERS
        self.tags = list(tags)
        if stores is None:
            from ..storage.factory import open_stores

            stores = open_stores()
        self.stores = stores
        self.reporter = reporter or Reporter()
        self.resume = resume
        self.origin_run_id = origin_run_id
        self.resume_step = resume_step
        self.run_id = run_id or new_run_id()
        # A command that exits right after the run ignores further signals (the rest of a burst of Ctrl-C
        # must not kill it while it exits: SIG_IGN survives interpreter shutdown, a Python handler does
        # not); a library caller gets its handlers back.
        self.restore_signals = True
        self.username = default_username()
        self.namespace = default_namespace()
        self.settings = TaskSettings(
            username=self.username,
            namespace=self.namespace,
            production=False,
            echo=not self.reporter.quiet,
            echo_traceback=False,
            tty=self.reporter.tty,
        )
        # scheduling state
        self._ready: Deque[_Pending] = deque()
        self._delayed: List[Tuple[float, int, _Pending]] = []
        self._seq = itertools.count()
        self._join_expected: Dict[Tuple[str, str], int] = {}
        self._join_arrived: Dict[Tuple[str, str], int] = {}
        self._join_cloned: Dict[Tuple[str, str], bool] = {}
        self._cloned_parent: Dict[Tuple[str, str], bool] = {}
        self._tasks_done = 0
        self._finished = False
        self._failed: Optional[TaskResult] = None
        self._failed_text: Optional[str] = None
        self._end_caught: Optional[TaskResult] = None  # the end step failed and @catch caught it: not successful
        self._origin_tasks: Dict[Tuple[str, str], Dict[str, Any]] = {}
        self.environments: Dict[str, str] = {}  # step -> interpreter of its environment

    # ------------------------------------------------------------------ public
    def prepare(self) -> None:
        """Check parameters and create the run record (raises ParameterError before anything runs)."""
        from ..runtime.artifacts import ArtifactIO
        from ..runtime.params import prepare_run_parameters

        self._prepare_environments()
        self._sweep_staging()
        aio = ArtifactIO(self.stores.artifacts, self.flow, self.stores.metadata)
        metadata = self.stores.metadata
        if self.resume:
            origin = self._find_origin()
            self.origin_run_id = origin["run_id"]
            params = origin.get("parameters") or {}
            if isinstance(params, str):
                import json

                params = json.loads(params) if params else {}
            self._load_origin()
        else:
            params = prepare_run_parameters(self.flow_cls, self.supplied, lambda v: aio.save(v))
        self.params = params
        started = now_iso()
        metadata.create_run(
            self.flow,
            self.run_id,
            username=self.username,
            namespace=self.namespace,
            tags=run_tags(self.tags, self.username, LOCAL_RUNTIME, project_tags(self.flow, self.flow_cls, self.username)),
            parameters=params,
            origin_run_id=self.origin_run_id,
            status=RUNNING,
            created_at=started,
        )
        metadata.update_run(self.flow, self.run_id, **liveness.scheduler_fields(started))
        self._heartbeat_due = time.time() + liveness.HEARTBEAT_SECONDS
        if self.resume or self.remote is None or not self.remote.wants(self.graph.start.name, None):
            # a resumed run may reuse its start task: store it here too (a remote start task of a new run
            # stores it itself, with the code package's paths: the graph is written once)
            record_graph(aio, self.graph, self.run_id)
        self.run_info = metadata.get_run(self.flow, self.run_id) or {
            "namespace": self.namespace,
            "username": self.username,
            "tags": self.tags,
            "origin_run_id": self.origin_run_id,
        }

    def _prepare_environments(self) -> None:
        """Build (or find cached) the steps' package environments; a package or python= error stops the
        run before it is recorded."""
        from ..environments.local import has_environments, maybe_prepare

        if not self.use_environments:
            if has_environments(self.graph):
                self.reporter.line("environments: ignored (--environment local): every step runs in this interpreter")
            self.environments = {}
            return
        # Steps that run elsewhere (the remote executor's) build their environments there.
        here = [s for s in self.graph.steps if self.remote is None or not self.remote.wants(s, None)]
        self.environments = maybe_prepare(self.graph, self.reporter.line, here) or {}

    def _sweep_staging(self) -> None:
        """Remove staging files of writers killed earlier (a kill -9'd run, a timed-out task)."""
        sweep = getattr(self.stores.artifacts, "sweep_temp", None)
        if sweep is not None:
            sweep()

    def run(self) -> RunOutcome:
        if not hasattr(self, "params"):
            self.prepare()
        started = time.time()
        self.pool = Pool(self.max_workers, self._task_handler(), on_request=partial(relay.serve, self.stores.metadata))
        if self.remote is not None:
            self.remote.bind(self.flow, self.run_id, self.stores)
        start = self.graph.start
        self._push(start.name, tuple(0 for _ in start.scope), cloned_parents=True)
        self._signal: Optional[int] = None
        self._cleaning = False
        previous = self._install_signal_handlers()
        crashed: Optional[BaseException] = None
        try:
            self._loop()
        except RunInterrupted as stop:
            self._failed_text = str(stop)
            self._stop_running(f"stopped: the run was {stop}")
        except Exception as exc:  # an error of the scheduler itself: the run must not stay RUNNING
            crashed = exc
            self._failed_text = f"the scheduler failed: {short_error(str(exc)) or type(exc).__name__}"
            self._stop_running("stopped: the scheduler failed")
        finally:
            self._cleaning = True  # from here on a signal is noted, never raised: the cleanup must finish
            for executor in self._executors():
                executor.shutdown()
        status = SUCCEEDED if self._finished and not self._failed and self._failed_text is None else FAILED
        failed = self._failed or self._end_caught
        if self._end_caught is not None and status == SUCCEEDED:
            status = FAILED  # the end task recorded the run as FAILED itself (its error was caught)
            recorded = True
        else:
            recorded = self._record_final_status(status)
        try:
            self._sweep_staging()
        except OSError:
            pass
        self._restore_signal_handlers(
            previous if self.restore_signals else {signum: signal.SIG_IGN for signum in previous})
        duration = time.time() - started
        failed_pathspec = failed.pathspec if failed else None
        if self._signal is not None:
            self.reporter.line(f"{Reporter.stamp()} {SIGNAL_NAMES.get(self._signal, 'stopped')}: "
                               f"stopped every task; run {self.flow}/{self.run_id} FAILED")
        self.reporter.summary(self.flow, self.run_id, status, duration, self._tasks_done, failed_pathspec,
                              flow_file=_display_path(self.graph.file),
                              stored_in=getattr(self.stores, "describe", lambda: "")())
        if crashed is not None:
            raise crashed
        outcome = RunOutcome(
            self.flow,
            self.run_id,
            status,
            duration,
            self._tasks_done,
            failed_pathspec,
            failed.error if failed else self._failed_text,
            self._signal is not None,
            self._signal,
        )
        if not recorded:
            outcome.status = FAILED
        return outcome

    # ------------------------------------------------------------------ signals and the final status
    def _install_signal_handlers(self) -> Dict[int, Any]:
        previous: Dict[int, Any] = {}
        for signum in SIGNAL_NAMES:
            try:
                previous[signum] = signal.signal(signum, self._on_signal)
            except (ValueError, OSError):  # not the main thread
                pass
        return previous

    def _restore_signal_handlers(self, previous: Dict[int, Any]) -> None:
        for signum, handler in previous.items():
            try:
                signal.signal(signum, handler if handler is not None else signal.SIG_DFL)
            except (ValueError, TypeError, OSError):
                pass

    def _on_signal(self, signum: int, frame: Any) -> None:
        # Only the first signal stops the run; more (a second Ctrl-C, a burst of them) must not
        # interrupt the cleanup that records how the run ended.
        if self._signal is not None or self._cleaning:
            return
        self._signal = signum
        raise RunInterrupted(signum)

    def _record_final_status(self, status: str) -> bool:
        """Write the run's final status, retrying a failing store; False if it could not be written."""
        fields: Dict[str, Any] = {"status": status, "finished_at": now_iso()}
        if status == FAILED:
            if self._failed is not None:
                fields["failed_step"] = self._failed.step
                fields["error"] = short_error(self._failed.error) or self._failed_text
            elif self._failed_text:
                fields["error"] = self._failed_text
        delay = 0.2
        for attempt in range(FINAL_WRITE_TRIES):
            try:
                self.stores.metadata.update_run(self.flow, self.run_id, **fields)
                return True
            except Exception as exc:
                if attempt == FINAL_WRITE_TRIES - 1:
                    self.reporter.line(
                        f"{Reporter.stamp()} could not record run {self.flow}/{self.run_id} as {status}: "
                        f"{short_error(str(exc)) or type(exc).__name__}; it reads as FAILED ({liveness.LOST}) "
                        "now that this process ends"
                    )
                    return False
                time.sleep(delay)
                delay *= 2
        return False

    def _heartbeat(self) -> None:
        now = time.time()
        if now < self._heartbeat_due:
            return
        self._heartbeat_due = now + liveness.HEARTBEAT_SECONDS
        try:
            self.stores.metadata.update_run(self.flow, self.run_id, heartbeat_at=now_iso())
        except Exception:  # a missed heartbeat is not a failure; the next one may pass
            pass

    # ------------------------------------------------------------------ task processes
    def _task_handler(self) -> "TaskHandler":
        """What each task process runs; a template forked from here inherits the loaded flow, one in
        another interpreter loads it."""
        _TEMPLATES[(self.graph.file, self.graph.name)] = (self.flow_cls, self.graph, self.stores)
        return TaskHandler(
            flow_file=self.graph.file,
            flow_name=self.graph.name,
            class_name=self.flow_cls.__name__,
            datastore_url=getattr(self.stores, "datastore_url", None),
            metadata_url=getattr(self.stores, "metadata_url", None),
            run_id=self.run_id,
            settings=self.settings,
            params=self.params,
            run_info=dict(self.run_info),
        )

    # ------------------------------------------------------------------ main loop
    def _loop(self) -> None:
        while True:
            now = time.time()
            while self._delayed and self._delayed[0][0] <= now:
                _, _, pending = heapq.heappop(self._delayed)
                self._ready.append(pending)
            if self._failed is None:
                self._dispatch_ready()
            running = [proc for executor in self._executors() for proc in executor.running]
            if not running and (self._failed is not None or (not self._ready and not self._delayed)):
                if not self._finished and self._failed is None:
                    self._failed_text = "the scheduler has nothing left to run but the end step never ran"
                return
            wait = 0.5 if self.reporter.wide_steps else 5.0
            if self._delayed:
                wait = min(wait, max(0.0, self._delayed[0][0] - now))
            for proc in running:
                if proc.deadline:
                    wait = min(wait, max(0.0, proc.deadline - now))
            if self.remote is not None and self.remote.running:
                wait = min(wait, self.remote.next_wait())
            for proc, payload, died in [r for executor in self._executors() for r in executor.poll(wait)]:
                if died is not None:
                    self._attempt_lost(proc.task, died, proc)
                else:
                    pending, result = payload
                    self._handle_result(pending, result)
            now = time.time()
            for proc in list(self.pool.running):
                if proc.deadline and now >= proc.deadline:
                    pending = proc.task
                    secs = timeout_seconds(self.graph[pending.step])
                    self.pool.kill(proc)
                    self._attempt_lost(pending, f"the step ran longer than its @timeout of {secs:g} s and was killed",
                                       proc)
            self._heartbeat()
            self.reporter.draw_progress()

    def _dispatch_ready(self) -> None:
        while self._ready:
            pending = self._ready[0]
            if self._try_clone(pending):
                self._ready.popleft()
                continue
            remote = self.remote is not None and self.remote.wants(pending.step, pending.forced)
            executor = self.remote if remote else self.pool
            busy = sum(len(e.running) for e in self._executors())  # --max-workers counts local and remote tasks
            if not executor.has_capacity() or busy >= self.max_workers:
                return
            self._ready.popleft()
            node = self.graph[pending.step]
            task_id = render_task_id(node.scope, pending.values)
            if not pending.forced:
                self.reporter.task_started(self._pathspec(pending.step, task_id), pending.step, pending.attempt)
            executor.start(
                pending,
                (pending.step, task_id, pending.attempt, pending.forced),
                timeout=timeout_seconds(node),
                grace=TIMEOUT_GRACE,
                python=self.environments.get(pending.step),  # a step with an environment runs in its interpreter
            )

    def _pathspec(self, step: str, task_id: str) -> str:
        return f"{self.flow}/{self.run_id}/{step}/{task_id}"

    # ------------------------------------------------------------------ results
    def _handle_result(self, pending: _Pending, result: Any) -> None:
        node = self.graph[pending.step]
        task_id = render_task_id(node.scope, pending.values)
        if isinstance(result, dict) and "internal_error" in result:
            now = time.time()
            result = TaskResult(self.flow, self.run_id, pending.step, task_id, pending.attempt, FAILED, now, now,
                                error=result["internal_error"], error_type="InternalError")
            try:
                self.stores.metadata.finish_attempt(self.flow, self.run_id, pending.step, task_id, pending.attempt,
                                                    status=FAILED, finished_at=now_iso(), error=result.error)
            except Exception:
                pass
        if result.ok and self._too_many_splits(node, result):
            result = self._split_limit_failure(result)
        if result.ok:
            self._tasks_done += 1
            note = "exception caught by @catch" if result.caught else ""
            self.reporter.task_finished(result.pathspec, pending.step, result.duration, note)
            self._advance(node, pending.values, result.cardinality, result.choice, cloned=False)
            if node.transition == END and result.caught:
                self._end_caught = result
            return
        self._attempt_failed(pending, result)

    def _too_many_splits(self, node: StepNode, result: TaskResult) -> bool:
        limit = self.max_num_splits
        return bool(limit) and node.transition == FOREACH and (result.cardinality or 0) > (limit or 0)

    def _split_limit_failure(self, result: TaskResult) -> TaskResult:
        """A foreach that fanned out wider than --max-num-splits fails its split task (as in Metaflow)."""
        text = (f"foreach in step '{result.step}' made {result.cardinality} splits, more than --max-num-splits "
                f"{self.max_num_splits}: raise --max-num-splits if that many is intended\n")
        self.stores.metadata.finish_attempt(self.flow, self.run_id, result.step, result.task_id, result.attempt,
                                            status=FAILED, finished_at=now_iso(), error=text)
        return TaskResult(self.flow, self.run_id, result.step, result.task_id, result.attempt, FAILED,
                          result.started, result.finished, error=text, error_type="MaxNumSplits", retryable=False)

    def _attempt_failed(self, pending: _Pending, result: TaskResult) -> None:
        node = self.graph[pending.step]
        times, delay = retry_policy(node)
        if self._failed is not None:
            return
        if result.retryable and pending.attempt < times:
            self.reporter.attempt_failed(result.pathspec, pending.step, pending.attempt, result.error_line, delay)
            retry = _Pending(pending.step, pending.values, pending.attempt + 1)
            heapq.heappush(self._delayed, (time.time() + delay, next(self._seq), retry))
            return
        self.reporter.task_failed(result.pathspec, pending.step, pending.attempt, result.duration, result.error or "")
        self._failed = result
        self._stop_running(f"stopped: the run failed in {result.pathspec}")

    def _attempt_lost(self, pending: _Pending, how: str, proc: TaskProcess) -> None:
        """The process running an attempt is gone: record the attempt as failed (retry / @catch / fail)."""
        node = self.graph[pending.step]
        task_id = render_task_id(node.scope, pending.values)
        text = f"{how}\n"
        now = time.time()
        started = proc.started or now
        try:
            self.stores.metadata.finish_attempt(
                self.flow, self.run_id, pending.step, task_id, pending.attempt, status=FAILED, finished_at=now_iso(), error=text
            )
        except Exception:
            pass
        try:
            from ..runtime.artifacts import ArtifactIO

            ArtifactIO(self.stores.artifacts, self.flow).put_logs(self.run_id, pending.step, task_id, pending.attempt, "", text)
        except Exception:
            pass
        result = TaskResult(self.flow, self.run_id, pending.step, task_id, pending.attempt, FAILED, started, now,
                            error=text, error_type="WorkerLost")
        times, _ = retry_policy(node)
        if pending.forced is None and pending.attempt >= times and catch_settings(node) is not None and self._failed is None:
            # Out of attempts with @catch: run the failure path in a fresh process so the exception is stored.
            self._ready.appendleft(_Pending(pending.step, pending.values, pending.attempt, forced=how))
            return
        self._attempt_failed(pending, result)

    def _executors(self) -> List[Any]:
        """The local pool, and the remote executor when the run has one."""
        pool = [self.pool] if hasattr(self, "pool") else []
        return pool + ([self.remote] if self.remote is not None else [])

    def _stop_running(self, why: str) -> None:
        for executor, proc in [(e, p) for e in self._executors() for p in list(e.running)]:
            pending = proc.task
            executor.kill(proc)
            node = self.graph[pending.step]
            task_id = render_task_id(node.scope, pending.values)
            try:
                self.stores.metadata.finish_attempt(
                    self.flow, self.run_id, pending.step, task_id, pending.attempt,
                    status=FAILED, finished_at=now_iso(), error=why + "\n",
                )
            except Exception:
                pass
        self._ready.clear()
        self._delayed.clear()

    # ------------------------------------------------------------------ successors
    def _advance(self, node: StepNode, values: Tuple[int, ...], cardinality: Optional[int], choice: Optional[str],
                 *, cloned: bool) -> None:
        graph = self.graph
        if node.transition == END:
            self._finished = True
            return
        if node.transition == FOREACH:
            join = graph[node.matching_join]  # type: ignore[index]
            target = graph[node.successors[0]]
            n = int(cardinality or 0)
            jkey = (join.name, render_task_id(join.scope, self._values_for(node, values, join)))
            self._join_expected[jkey] = n
            self._join_cloned[jkey] = cloned
            self.reporter.expect_wide(target.name, n)
            for i in range(n):
                self._push(target.name, next_values(graph, node, values, target, i), cloned_parents=cloned)
            if n == 0:  # a caught split: the join runs with no inputs
                self._ready.append(_Pending(join.name, self._values_for(node, values, join)))
                self._cloned_parent[jkey] = cloned
            return
        if node.transition == SWITCH:
            case = next((c for c in node.switch_cases if c.value == choice), None)
            if case is None:
                raise SfnCompileError(f"{node.name}: recorded choice {choice!r} is none of its cases")
            self._push(case.target, next_values(graph, node, values, graph[case.target]), cloned_parents=cloned)
            return
        if node.transition == BRANCH:
            join = graph[node.matching_join]  # type: ignore[index]
            jkey = (join.name, render_task_id(join.scope, self._values_for(node, values, join)))
            self._join_expected[jkey] = len(node.successors)
            self._join_cloned[jkey] = cloned
        for succ in node.successors:
            self._push(succ, next_values(graph, node, values, graph[succ]), cloned_parents=cloned)

    def _values_for(self, split: StepNode, values: Tuple[int, ...], join: StepNode) -> Tuple[int, ...]:
        current = {(f.kind, f.name): v for f, v in zip(split.scope, values)}
        return tuple(current[(f.kind, f.name)] for f in join.scope)

    def _push(self, step: str, values: Tuple[int, ...], *, cloned_parents: bool) -> None:
        node = self.graph[step]
        task_id = render_task_id(node.scope, values)
        key = (step, task_id)
        if node.is_join:
            self._join_arrived[key] = self._join_arrived.get(key, 0) + 1
            self._join_cloned[key] = self._join_cloned.get(key, True) and cloned_parents
            if self._join_arrived[key] < self._join_expected.get(key, 1):
                return
            cloned_parents = self._join_cloned[key]
        self._cloned_parent[key] = cloned_parents
        self._ready.append(_Pending(step, tuple(values)))

    # ------------------------------------------------------------------ resume
    def _find_origin(self) -> Dict[str, Any]:
        metadata = self.stores.metadata
        if self.origin_run_id:
            run = metadata.get_run(self.flow, self.origin_run_id)
            if run is None:
                recent = [r["run_id"] for r in metadata.list_runs(self.flow)[:5]]
                raise SfnCompileError(
                    f"no run {self.flow}/{self.origin_run_id} to resume",
                    fix=f"recent runs: {', '.join(recent) or 'none'}",
                )
        else:
            runs = [r for r in metadata.list_runs(self.flow) if r.get("namespace") == self.namespace]
            if not runs:
                raise SfnCompileError(
                    f"no earlier run of {self.flow} in namespace {self.namespace} to resume",
                    fix="run the flow first (`sfncompile run flow.py`), or pass --origin-run-id",
                )
            run = runs[0]
        return self._settle_origin(run)

    def _settle_origin(self, run: Dict[str, Any]) -> Dict[str, Any]:
        """A lost origin is recorded FAILED before it is resumed; a live one is not resumed at all."""
        reason = liveness.lost_reason(run)
        if reason is not None:
            self.stores.metadata.update_run(self.flow, run["run_id"], status=FAILED, error=reason,
                                            finished_at=run.get("heartbeat_at") or now_iso())
            return liveness.reconcile(run)
        if run.get("status") == RUNNING and run.get("scheduler_pid"):
            raise SfnCompileError(
                f"run {self.flow}/{run['run_id']} is still running (scheduler process {run['scheduler_pid']} "
                f"on {run.get('scheduler_host') or '?'})",
                fix="wait for it to end, or stop it (Ctrl-C in its terminal, or kill that process) and resume then",
            )
        return run

    def _load_origin(self) -> None:
        metadata = self.stores.metadata
        tasks = metadata.list_tasks(self.flow, self.origin_run_id)
        failed_steps = set()
        for t in tasks:
            if t.get("status") == SUCCEEDED and t.get("successful_attempt") is not None:
                self._origin_tasks[(t["step"], str(t["task_id"]))] = t
            else:
                failed_steps.add(t["step"])
        origin = metadata.get_run(self.flow, self.origin_run_id) or {}
        if origin.get("status") == FAILED and origin.get("failed_step") == "end":
            # The end task failed and @catch caught it: it is recorded successful, but resume runs it again.
            self._origin_tasks = {k: v for k, v in self._origin_tasks.items() if k[0] != "end"}
            failed_steps.add("end")
        if self.resume_step is not None:
            if self.resume_step not in self.graph:
                raise SfnCompileError(
                    f"--step {self.resume_step}: {self.flow} has no such step",
                    fix=f"steps are: {', '.join(self.graph.steps)}",
                )
        else:
            if origin.get("status") == SUCCEEDED and not failed_steps:
                raise SfnCompileError(
                    f"run {self.flow}/{self.origin_run_id} succeeded: nothing to resume",
                    fix="pass --step STEP to run again from that step",
                )

    def _try_clone(self, pending: _Pending) -> bool:
        if not self.resume or pending.attempt or pending.forced:
            return False
        node = self.graph[pending.step]
        task_id = render_task_id(node.scope, pending.values)
        key = (pending.step, task_id)
        if pending.step == self.resume_step or not self._cloned_parent.get(key, False):
            return False
        origin = self._origin_tasks.get(key)
        if origin is None:
            return False
        origin_spec = f"{self.flow}/{self.origin_run_id}/{pending.step}/{task_id}"
        try:
            self._clone(node, task_id, origin)
        except StorageError as exc:
            # Not reusable (never committed, unreadable): the task runs again instead.
            self.reporter.line(f"{Reporter.stamp()} [{self._pathspec(pending.step, task_id)}] cannot reuse "
                               f"{origin_spec}: {short_error(str(exc))}; running it again")
            self._origin_tasks.pop(key, None)
            return False
        self._tasks_done += 1
        self.reporter.task_cloned(self._pathspec(pending.step, task_id), pending.step, origin_spec)
        card = origin.get("cardinality")
        self._advance(node, pending.values, int(card) if card is not None else None, origin.get("choice"), cloned=True)
        return True

    def _clone(self, node: StepNode, task_id: str, origin: Dict[str, Any]) -> None:
        from ..runtime.artifacts import ArtifactIO

        assert self.origin_run_id is not None, "only a resume clones tasks, and it knows its origin run"

        aio = ArtifactIO(self.stores.artifacts, self.flow, self.stores.metadata)
        clone_task(aio, self.stores.metadata, self.flow, self.origin_run_id, self.run_id, node, task_id, origin)


def clone_task(aio, metadata, flow: str, origin_run: str, run_id: str, node: StepNode, task_id: str,
               origin: Dict[str, Any]) -> None:
    """Copy a successful task of the origin run into this run: metadata + index (same blob shas), logs, manifest.

    Everything is read before anything is written, so a task that cannot be reused
    (NotCommittedError, an unreadable record) leaves no trace in the new run."""
    attempt = int(origin["successful_attempt"])
    origin_spec = f"{flow}/{origin_run}/{node.name}/{task_id}"
    doc = aio.attempt(origin_run, node.name, task_id, attempt)
    if doc is None:
        raise NotCommittedError(f"{origin_spec} attempt {attempt} is recorded as successful but was never committed")
    missing = aio.missing(doc.get("artifacts") or {})
    if missing:  # a clone would "succeed" with artifacts nobody can read
        raise IntegrityError(f"{origin_spec} attempt {attempt}: the stored value of {', '.join(sorted(missing))} "
                             f"is missing from the datastore")
    logs = {}
    for stream in ("stdout", "stderr"):
        try:
            logs[stream] = aio.get_log(origin_run, node.name, task_id, attempt, stream)
        except Exception:
            logs[stream] = ""
    now = now_iso()
    metadata.start_attempt(flow, run_id, node.name, task_id, 0, started_at=now, info={"cloned_from": origin_spec})
    for stream, text in logs.items():
        if text:
            aio.put_log(run_id, node.name, task_id, 0, stream, text)
    cardinality = origin.get("cardinality")
    if cardinality is not None and node.transition == FOREACH:
        aio.put_manifest(run_id, node.name, task_id, int(cardinality))
    extra = {k: v for k, v in doc.items() if k != "artifacts"}
    extra.update({"pathspec": f"{flow}/{run_id}/{node.name}/{task_id}", "attempt": 0, "cloned_from": origin_spec})
    aio.commit(run_id, node.name, task_id, 0, dict(doc.get("artifacts") or {}), extra=extra)
    metadata.finish_attempt(
        flow, run_id, node.name, task_id, 0, status=SUCCEEDED, finished_at=now,
        cardinality=int(cardinality) if cardinality is not None else None, choice=origin.get("choice"),
        next_visit=origin.get("next_visit"),
    )
    if node.transition == END:
        metadata.update_run(flow, run_id, status=SUCCEEDED, finished_at=now)


def _display_path(path: str) -> str:
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return rel if not rel.startswith("..") else path


# (flow file, flow name) -> (flow class, graph, stores) of the scheduler; a forked task process inherits it.
_TEMPLATES: Dict[Tuple[str, str], Tuple[type, FlowGraph, Any]] = {}
_LOADED: Dict[int, Tuple[type, FlowGraph, Any]] = {}  # in a task process: what its handler loaded


@dataclass
class TaskHandler:
    """Runs one task in a task process (picklable, for the spawn start method)."""

    flow_file: str
    flow_name: str
    class_name: str
    datastore_url: Optional[str]
    metadata_url: Optional[str]
    run_id: str
    settings: TaskSettings
    params: Any
    run_info: Dict[str, Any]

    def prepare_template(self) -> None:
        """Once in a template process: load the flow and import and compute what every task uses,
        so a task forked from it starts with all of it."""
        import cloudpickle  # noqa: F401

        from ..runtime import task  # noqa: F401
        from ..runtime.environment_info import process_constants
        from ..storage.codec import preload

        relay.prepare(self._loaded()[2])
        process_constants()
        preload()

    def warm_template(self) -> None:
        """In a template that has forked a few task processes: run sfncompile's task path once, so
        the next ones start warm (warmup.py)."""
        from .warmup import warm_task_path

        warm_task_path()

    def warm(self) -> None:
        """In a spare process, before its task: load what the task needs, ready the capture. (The
        metadata is the scheduler's: relay.py.)"""
        from ..runtime.capture import prepare_capture

        self._loaded()
        prepare_capture(self.settings.echo)

    def __call__(self, message: Tuple[str, str, int, Optional[str]]) -> TaskResult:
        from ..runtime.task import run_task

        flow_cls, graph, stores = self._loaded()
        stores = relay.for_task(stores)
        step, task_id, attempt, forced = message
        return run_task(
            flow_cls,
            graph,
            step,
            self.run_id,
            task_id,
            attempt,
            stores=stores,
            settings=self.settings,
            run_params=self.params if step == "start" else None,
            run_info=self.run_info,
            forced_failure=forced,
        )

    def _loaded(self) -> Tuple[type, FlowGraph, Any]:
        loaded = _LOADED.get(id(self))
        if loaded is None:
            from ..runtime.artifacts import pickle_flow_module_by_value

            loaded = _LOADED[id(self)] = self._template()
            pickle_flow_module_by_value(loaded[0])
        return loaded

    def _template(self) -> Tuple[type, FlowGraph, Any]:
        found = _TEMPLATES.get((self.flow_file, self.flow_name))
        if found is not None:  # forked from the scheduler: the flow is loaded already
            flow_cls, graph, stores = found
            return flow_cls, graph, _reopen(stores)
        from ..graph import build_graph
        from ..graph.loader import load_flow_class
        from ..storage.factory import open_stores

        flow_cls = load_flow_class(self.flow_file, self.class_name)
        return flow_cls, build_graph(flow_cls), open_stores(self.datastore_url, self.metadata_url)


def _reopen(stores: Any) -> Any:
    """Store objects a task process may use (never a parent's SQLite connection: it reconnects after a fork)."""
    from ..storage.factory import open_stores

    reopen = getattr(stores, "reopen", None)
    if callable(reopen):
        return reopen()
    objects = getattr(stores, "objects", None) or getattr(stores.artifacts, "objects", None)
    return open_stores(getattr(objects, "url", None), getattr(stores.metadata, "url", None))
