"""Per-task cost of a local run, and a 10,000-item foreach (printed, never judged).

Per-task figures are marginal: a foreach of N trivial tasks minus the same run with
one item, divided by N - 1, as CPU (every process of the run, templates and task
processes included: they are all reaped children) and as wall. The machine may be
shared, so each figure is repeated and printed as best and median, with the load
average at the time.

``--before REV`` also measures the code of git revision REV (exported to a temporary
directory and put first on PYTHONPATH; or a directory holding such a tree), side by
side: e.g. ``--before 6c9a0d2`` for the reused-worker pool, ``--before main`` for
today's main.

    python benchmarks/task_overhead_bench.py [--width 200] [--repeat 3] [--large 10000] [--before REV]

It also prints the floor under any design that runs each task in a process of its own:
the CPU of forking, exiting and reaping a bare interpreter and a process the size of a
template (sfncompile, the runtime, the stores and the flow imported), and the 10,000-item
lower bound that follows on this machine's cores.
It measures what a forked process pays per page it inherited (its first read, and its first
write: a copy-on-write fault) and prints what a process per task costs that a reused worker
does not: the template's fork + exit + reap plus the task process's faults at that price.
Side by side with the reused workers (``--before 6c9a0d2``, 4 runs, load 1.1-1.3): reused best
2.3 ms CPU, median 4.5 ms; a process per task 15.1 / 15.7 ms; fork + exit + reap 2.5 ms, a
first read 0.26 us, a copy-on-write fault 4.5 us, so 2.5 + 1,077 x 0.0045 = 7.3 ms before the
task reads anything: 3.2x the reused workers' best task.

Reference figures on the shared 2-core machine. Quiet machine: reused workers (6c9a0d2)
3.3-3.9 ms CPU, 3.8 ms wall per task. A fork of a template per task, side by side, taking
turns, at load average 0.3-1.2 (``--before 1ff6983``, 4 runs of a 200-way foreach):

    per task          1ff6983 (before)            now
    CPU               19.2 ms best, 21.1 median   17.0 ms best, 17.8 median
    wall              10.5 ms best, 11.5 median    9.7 ms best, 10.1 median
    page faults       1,409                        1,151

(What moved it: task processes make their metadata calls through the scheduler's open
SQLite connection instead of opening one each, and its writes without waiting; the template
imports the blob codecs; the scheduler no longer waits on the template's fork.) Older
pair, load 1.5 (``--before 104ecde``): 19.7 vs 19.9 ms CPU, no change.
Then, side by side with main (604e735, then dce23e3; ``--before main``, three interleaved
sessions of 4, 4 and 6 runs each, load average 2.4-5.0, so CPU and wall move with the load;
page faults do not; the CPU gain, 0.2-0.9 ms best, is inside that noise):

    per task          main (before)                          now
    CPU best          10.8 / 11.9 / 11.8 ms                  9.9 / 11.7 / 11.1 ms
    CPU median        11.7 / 13.4 / 13.6 ms                 10.3 / 13.4 / 13.4 ms
    wall median        9.5 /  8.6 / 11.4 ms                  8.9 / 10.3 / 10.9 ms
    page faults       1,150 / 1,154 / 1,159                  1,068 / 1,073 / 1,062

(What moved it: a template runs sfncompile's own task path once after its first 8 forks,
local/warmup.py, so later task processes do not write the first-run state into shared
pages; task processes set their signal dispositions without the enum wrapper.) A 1-way run
is unchanged (251 vs 257 ms CPU best: it never warms up); a 20-way run about breaks even.
Where a task process's ~1,150 page faults were (``perf record -e exceptions:page_fault_user``,
fault addresses mapped to the template's maps and objects, before the warm-up): 89%
copy-on-write of pages shared with the template (obmalloc arenas ~720, malloc heap ~150,
libpython data/bss ~140), ~80 re-mapped file-backed text, ~10 new pages; by object, strings
~160 pages, code ~160, functions ~70, types ~70, dicts ~40, tuples ~40. By phase: ~230 from
fork() to the first line (at-fork hooks; threading's ~90), ~190 getting ready, ~650 in
run_task. They are reference-count writes into whatever the task touches, which no template-
side step removes: malloc_trim(0) frees 0.1 of the template's 15.8 MB anonymous memory (no
change); filling obmalloc's partly used pools saves ~3%; Python 3.12 (immortal interned
strings and static objects) makes ~1,005 instead of ~1,090.

The scheduler process's own CPU per task is printed beside the total (its rusage, reported
by the run itself). Side by side with dce23e3, taking turns, 400-way foreach, 16 pairs at
load average 3-6: 1.45 ms median (best 1.13) before, 1.18 ms median (best 0.85) after, lower
in 12 of 16 pairs; this benchmark's own run at load 3-5 (4 pairs): 1.53 vs 1.45 ms median,
1.43 vs 0.85 best. What moved it: one ``select.poll()`` with the running tasks' pipes
registered instead of a selector built per turn of the loop, a pipe read again after a
request (a task's last notification and its result are one turn, ~2 turns per task instead
of ~3), a plain class for the signal mask, no task line formatted under ``--quiet``. Where
the rest goes (cProfile of the scheduler, 400-way run, shares of its loop): the task
processes' SQLite calls it makes ~28% (two write transactions and one read per task; ~0.15
ms in isolation), reading 4 messages per task ~15%, dispatch (the message, the fork request
to the template) ~16%, ending a task (kill, release) ~7%, results and successors ~8%. Its
syscalls: ~65 per task, half of them SQLite's locks and WAL writes. Sharing one transaction
among the writes of a poll was measured and dropped: a WAL commit costs ~15-25 us here, and
the scheduler's CPU per task did not move.
All of the above together, side by side with 604e735 (the revision before the poller, the
warm-up and the signal changes), 8 pairs at load average 1.3-2.2: CPU median 19.7 -> 18.9 ms
(best 17.8 -> 17.5), wall median 11.0 -> 10.6 ms (best 9.8 -> 9.7), page faults 1,165 ->
1,061, the scheduler's own 1.83 -> 1.56 ms. Six pairs a few minutes earlier, as the load of a
test run decayed: CPU best 12.8 -> 9.9 ms, median 15.8 -> 15.9 ms; wall best 7.1 -> 5.5 ms,
median 8.9 -> 8.9 ms. The two sessions differ by half because this machine's CPU speed moves
by itself between minutes (a pure-Python loop took 0.51-0.77 s in three consecutive runs on an
idle machine): only the pairs compare.
10,000-item foreach, one run each at load average 5-7: 104ecde 382 s wall, 257 s CPU;
1ff6983 333 s / 228 s; now 301 s / 203 s (older figures at load 9-20: a process per task
forked by ``multiprocessing`` 1,019 s / 324 s; the first template 627 s / 213 s). Fork +
exit + reap: bare interpreter (4.7 MB anonymous, 70 modules) 0.8-0.9 ms; template-sized
(12.7 MB anonymous, 214 modules) 2.2-3.2 ms. So 10,000 tasks need at least ~11-15 s of
CPU-bound time on two cores before any task does anything, and the 3 s target is out of
reach while every task is a process of its own.

Where a task process's CPU still goes (instrumented, 60-way run): ~1.4 ms and ~220 page
faults from fork() returning to its first line (the first Python code run in a forked
process writes interpreter-wide pages: the type cache, allocator pools, free lists; the
threading module's after-fork hook, which runs first, is charged ~0.8 ms of it), ~0.5 ms
leading its process group, ~8 ms and ~600 faults in the task itself (each function and
object it touches is written into: reference counts, the interpreter's inline caches).
A fault costs ~2 us here; the rest is cold-cache interpretation.

What changed: the attempt's index is one file beside its step's other tasks (no directory
per task and attempt); without echo (``--quiet``) the output capture writes to in-memory
files read at the end (no thread, no pipes); a task process trusts its parent's SQLite
schema check; no ABC check for a run without a trigger; the scheduler's signal mask
changes skip the enum conversion. Where a task's CPU still goes (perf, 300-way run,
before these changes; shares of all CPU): page faults ~31% (copy-on-write: CPython writes
reference counts and frames into pages shared with the template; ~1,000-1,250 faults per
task), the fork's page-table copy ~9.5%, ext4 inode allocation for the blob and index
files ~8%, the rest Python and SQLite. A leaner template does not help: a fresh
interpreter importing only what a task needs (cloudpickle, runtime, stores, flow) is 187
modules and costs the same to fork as the scheduler with its CLI. A step in a cached
@pypi environment (environments_bench.py, load average 6.7): 1.68 s added to a 100-way
run, 0.79 s to a 1-way run, so ~9 ms per task marginal (target <= 20 ms); the fixed part
is the environment check and one interpreter start for the environment's template.
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, Optional, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
FLOW = os.path.join(HERE, "flows", "foreach100.py")
PY = sys.executable


def _env(store: str, code: Optional[str]) -> dict:
    env = dict(os.environ, SFNCOMPILE_ROOT=store, SFNCOMPILE_USERNAME="bench")
    for name in ("SFNCOMPILE_DATASTORE", "SFNCOMPILE_METADATA", "PYTHONDONTWRITEBYTECODE"):
        env.pop(name, None)
    if code is not None:
        env["PYTHONPATH"] = code
    return env


# `sfncompile run` in a process that also reports its own CPU when it exits: the scheduler's alone (its
# templates and task processes are its children, counted apart).
RUN_REPORTING_OWN_CPU = r"""
import atexit, resource, sys
def _own_cpu():
    own = resource.getrusage(resource.RUSAGE_SELF)
    sys.stderr.write(f"\nscheduler-cpu {own.ru_utime + own.ru_stime}\n")
atexit.register(_own_cpu)
from sfncompile.cli.main import main
main(sys.argv[1:])
"""


def run_once(width: int, code: Optional[str]) -> Tuple[float, float, int, float]:
    """(wall s, CPU s, page faults) of every process of one `sfncompile run` of a ``width``-way foreach,
    and the CPU s of its scheduler process alone."""
    with tempfile.TemporaryDirectory(prefix="sfnbench-") as tmp:
        env = _env(os.path.join(tmp, "store"), code)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        done = subprocess.run([PY, "-c", RUN_REPORTING_OWN_CPU, "run", FLOW, "--quiet", "--width", str(width)],
                              env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=tmp,
                              text=True)
        wall = time.perf_counter() - began
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    scheduler = float(done.stderr.rsplit("scheduler-cpu ", 1)[1].split()[0])
    return wall, cpu, after.ru_minflt - before.ru_minflt, scheduler


def per_task(width: int, repeat: int, codes: Dict[str, Optional[str]]) -> Dict[str, Tuple[List[float], ...]]:
    """Marginal cost per task, one figure per repetition and code tree: (CPU ms, wall ms, page faults,
    the scheduler's CPU ms). The trees take turns within each repetition, so they see the same load."""
    for code in codes.values():
        run_once(1, code)  # warm the OS caches and the bytecode
    out: Dict[str, Tuple[List[float], ...]] = {label: ([], [], [], []) for label in codes}
    for _ in range(repeat):
        for label, code in codes.items():
            w1, c1, f1, s1 = run_once(1, code)
            wn, cn, fn, sn = run_once(width, code)
            for into, value in zip(out[label], ((cn - c1) * 1000, (wn - w1) * 1000, fn - f1, (sn - s1) * 1000)):
                into.append(value / (width - 1))
    return out


# A process that forks N children which exit at once: CPU per fork (parent + child, both reaped), from a
# bare interpreter and from one that imported what a template holds (sfncompile, the runtime, the stores,
# the flow): the floor under any design that runs each task in a process of its own.
FORK_FLOOR = r"""
import gc, os, resource, sys
if sys.argv[1] == "template":
    import cloudpickle, sfncompile.local.scheduler, sfncompile.runtime.task, sfncompile.storage.factory
    from sfncompile.graph import build_graph
    from sfncompile.graph.loader import load_flow_class
    build_graph(load_flow_class(sys.argv[2]))
gc.collect(); gc.freeze()
n = int(sys.argv[3])
before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
for _ in range(n):
    pid = os.fork()
    if pid == 0:
        os._exit(0)
    os.waitpid(pid, 0)
after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
cpu = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before))
anon = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("RssAnon:"))
print(cpu / n * 1000, anon / 1024, len(sys.modules))
"""


def fork_floor(kind: str, code: Optional[str], forks: int = 300) -> Tuple[float, float, int]:
    """(CPU ms per fork + exit + reap, anonymous MB, modules) of a ``kind`` process ("bare" or "template")."""
    out = subprocess.run([PY, "-c", FORK_FLOOR, kind, FLOW, str(forks)], env=_env(tempfile.gettempdir(), code),
                         check=True, capture_output=True, text=True).stdout.split()
    return float(out[0]), float(out[1]), int(out[2])


# What a fresh process pays per page it inherited: a child reads, then writes, one byte of each of N pages
# its parent wrote before the fork; the same loops over pages already its own are subtracted. The first
# read of a page costs something on a machine whose page tables are dear (no fault the kernel counts).
PAGE_COSTS = r"""
import mmap, os, time
n = 20000
area = mmap.mmap(-1, n * 4096, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)  # as a heap is: copied on write
def touch(value):
    began = time.process_time()
    for at in range(0, n * 4096, 4096):
        area[at] = value
    return time.process_time() - began
def read():
    began = time.process_time()
    total = 0
    for at in range(0, n * 4096, 4096):
        total += area[at]
    return time.process_time() - began
touch(1)
wrote, looked = touch(2), read()
out, into = os.pipe()
pid = os.fork()
if pid == 0:
    first_read = read()
    os.write(into, f"{first_read - looked} {touch(3) - wrote}".encode())
    os._exit(0)
os.close(into)
costs = os.read(out, 64).split()
os.waitpid(pid, 0)
print(*(float(cost) / n * 1e6 for cost in costs))
"""


def page_costs_us() -> Tuple[float, float]:
    """Microseconds of CPU a forked process pays per inherited page: its first read, its first write
    (a copy-on-write fault); best of 3."""
    runs = [tuple(float(x) for x in subprocess.run([PY, "-c", PAGE_COSTS], check=True, capture_output=True,
                                                   text=True).stdout.split()) for _ in range(3)]
    return min(r[0] for r in runs), min(r[1] for r in runs)


def _load() -> str:
    return "load average %.2f %.2f %.2f" % os.getloadavg()


def _best_median(values: List[float], unit: str, digits: int = 1) -> str:
    unit = f" {unit}" if unit else ""
    return f"best {min(values):.{digits}f}{unit}, median {statistics.median(values):.{digits}f}{unit}"


def export(rev: str, into: str) -> str:
    """The tree of git revision ``rev`` in a directory of its own."""
    archive = subprocess.run(["git", "-C", ROOT, "archive", rev], check=True, capture_output=True).stdout
    subprocess.run(["tar", "-x", "-C", into], input=archive, check=True)
    return into


def report(label: str, width: int, repeat: int, large: int, code: Optional[str],
           costs: Tuple[List[float], ...]) -> None:
    cpu, wall, faults, scheduler = costs
    print(f"[{label}] per task, {width}-way foreach minus 1-way, {repeat} runs: "
          f"CPU {_best_median(cpu, 'ms')} (the scheduler process's {_best_median(scheduler, 'ms', 2)}); "
          f"wall {_best_median(wall, 'ms')}; page faults {_best_median(faults, '', 0)}   "
          f"(target: CPU <= 2x the reused workers' 3.3-3.9 ms, wall <= 2x their 3.8 ms)", flush=True)
    floors = {kind: [fork_floor(kind, code) for _ in range(max(1, repeat))] for kind in ("bare", "template")}
    for kind, runs in floors.items():
        best = min(runs)
        print(f"[{label}] fork + exit + reap of a {kind} process ({best[1]:.1f} MB anonymous, {best[2]} modules): "
              f"CPU {_best_median([r[0] for r in runs], 'ms', 2)} per task process", flush=True)
    first_read, fault = page_costs_us()
    fork_best = min(r[0] for r in floors["template"])
    faults_best = min(faults)
    print(f"[{label}] a forked process's first read of an inherited page costs {first_read:.2f} us of CPU here "
          f"(no fault counted), its first write (a copy-on-write fault) {fault:.2f} us", flush=True)
    print(f"[{label}] what a process per task costs that "
          f"a reused worker does not: the template's fork + exit + reap {fork_best:.2f} ms + {faults_best:.0f} "
          f"faults x {fault:.2f} us = {fork_best + faults_best * fault / 1000:.2f} ms CPU (best figures), "
          "before its first reads", flush=True)
    if large:
        walls, cpus = [], []
        for _ in range(max(1, repeat // 2)):
            w, c, _, _ = run_once(large, code)
            walls.append(w)
            cpus.append(c)
        cores = os.cpu_count() or 1
        floor = min(r[0] for r in floors["template"]) * large / 1000 / cores
        print(f"[{label}] {large:,}-item foreach, `sfncompile run`: wall {_best_median(walls, 's', 2)}; "
              f"CPU {_best_median(cpus, 's', 2)}   (target <= 3 s wall; lower bound with a process per task: "
              f"{large:,} x the template's fork + exit on {cores} cores = {floor:.1f} s, before any task work)   "
              f"{_load()}", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--width", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--large", type=int, default=10_000, help="items of the large foreach (0: skip it)")
    parser.add_argument("--before", default=None, help="git revision to measure too, e.g. 6c9a0d2 or main")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sfnbench-code-") as tree:
        codes: Dict[str, Optional[str]] = {}
        if args.before:
            code = os.path.abspath(args.before) if os.path.isdir(args.before) else export(args.before, tree)
            codes[f"before: {args.before}"] = code
        codes["this tree"] = None
        print(f"{_load()} (start)", flush=True)
        costs = per_task(args.width, args.repeat, codes)
        print(f"{_load()} (after the per-task runs)", flush=True)
        for label, code in codes.items():
            report(label, args.width, args.repeat, args.large, code, costs[label])


if __name__ == "__main__":
    main()
