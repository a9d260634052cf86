"""Run sfncompile's own task path once in a template, so every task process forked from it starts warm.

Why: a task process is a fork of its template and shares its memory pages until it writes
to them. Code the template never ran is cold in it, and the first run of it in each task
process writes into many shared pages (the interpreter specialises the bytecode and fills
its type-attribute cache, strings compute their hashes, lazily built tables and caches are
made): each such page is copied, in every task process, and the work is done again each
time. Run once here, before the template forks, all of it is done once and shared.

What runs is a flow of sfncompile's own (``WarmupFlow``: a foreach of one item and its join,
no user code), every task through ``run_task`` with output capture but no echo (echo starts a
reader thread, and a template never has threads), against a scratch datastore and SQLite
metadata in a temporary directory, memory-backed where the system has one (``/dev/shm``: on
disk its directories alone cost tens of milliseconds), removed afterwards. Nothing of it
stays visible to a task: the scratch stores are never cached or reused (their URLs name the
removed directory), ``current`` and the output descriptors are restored by ``run_task``
itself, and a failure here only leaves the template cold.

It costs the template ~20-30 ms of CPU once and saves each later task process ~90 page
faults of the ~1,150 it makes (the rest are CPython's reference-count writes into the objects
the task uses, which no warm-up avoids): see benchmarks/task_overhead_bench.py. So a template
runs it only once it has forked ``template.WARM_AFTER_FORKS`` task processes and has no
request waiting (``TaskHandler.warm_template``): a run of a few tasks never pays for it.
"""
from __future__ import annotations

import os
import shutil
import tempfile
from typing import Optional, Tuple

from ..flow.flowspec import FlowSpec
from ..flow.step import step
from ..graph.ir import FlowGraph
from ..graph.taskid import render_task_id

WARMUP_USER = "sfncompile-warmup"
MEMORY_DIRS = ("/dev/shm",)  # where the scratch stores go if one is writable (else the temporary directory)


class WarmupFlow(FlowSpec):
    """The shape of a common local run: a start that fans out, a task per item, a join, an end."""

    @step
    def start(self):
        self.items = [0]
        self.next(self.work, foreach="items")

    @step
    def work(self):
        self.value = self.input
        self.next(self.join)

    @step
    def join(self, inputs):
        self.total = sum(i.value for i in inputs)
        self.next(self.end)

    @step
    def end(self):
        pass


# Each task of WarmupFlow's run, in order: (step, foreach values).
TASKS: Tuple[Tuple[str, Tuple[int, ...]], ...] = (("start", ()), ("work", (0,)), ("join", ()), ("end", ()))


def warm_task_path() -> bool:
    """Run every task of a ``WarmupFlow`` run in this process, on scratch stores; whether all succeeded."""
    from ..graph import build_graph
    from ..runtime.task import TaskSettings, run_task
    from ..storage.artifacts import ArtifactStore
    from ..storage.factory import Stores
    from ..storage.local_objects import LocalObjectStore
    from ..storage.sqlite_metadata import SqliteMetadataStore

    graph: FlowGraph = build_graph(WarmupFlow)
    settings = TaskSettings(username=WARMUP_USER, namespace=f"user:{WARMUP_USER}", echo=False, echo_traceback=False)
    scratch = tempfile.mkdtemp(prefix="sfncompile-warmup-", dir=_memory_dir())
    try:
        objects = LocalObjectStore(f"{scratch}/objects")
        metadata = SqliteMetadataStore(f"{scratch}/metadata.sqlite")
        stores = Stores(objects=objects, artifacts=ArtifactStore(objects), metadata=metadata,
                        datastore_url=f"local:{scratch}/objects", metadata_url=f"sqlite:{scratch}/metadata.sqlite")
        try:
            for name, values in TASKS:
                result = run_task(WarmupFlow, graph, name, "warmup", render_task_id(graph[name].scope, values), 0,
                                  stores=stores, settings=settings, run_params={} if name == "start" else None)
                if not result.ok:
                    return False
            return True
        finally:
            metadata.close()
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def _memory_dir() -> Optional[str]:
    return next((path for path in MEMORY_DIRS if os.path.isdir(path) and os.access(path, os.W_OK)), None)
