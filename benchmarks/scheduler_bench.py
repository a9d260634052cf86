"""The local scheduler's own CPU per task for its task processes' traffic (printed, never judged).

Why apart from task_overhead_bench.py: there the scheduler is ~1.2 ms of a task's ~12 ms,
and on a shared machine a whole run's figure moves more than that between two runs. Here a
process drives the pool (``sfncompile.local.pool``) as the scheduler does, with tasks that
message it as a task whose metadata is relayed does (a notification, a request, a
notification, the result) and an answer that costs nothing: what is measured is the
scheduler's side of a task (the fork request to the template, the message, reading and
answering, ending the task) in that process's own CPU (rusage), per task.

``--before REV`` measures git revision REV's pool too (exported to a temporary directory, or a
directory holding such a tree); the trees take turns within each repetition.

    python benchmarks/scheduler_bench.py [--tasks 400] [--repeat 6] [--before REV]

Reference figures (shared 2-core machine, 400 tasks, 2 at a time, ``--before dce23e3``,
6 pairs each): at load average 4.5-6, 477 us median (best 403) before, 339 us median (best
319) after, lower in 6 of 6 pairs; an earlier ad hoc run at load 4-5: 440 vs 350 us median,
lower in 5 of 6. What moved it: one registered ``select.poll()`` instead of a selector built
per turn of the loop, a task's last notification and its result read in one turn, a plain
class for the signal mask. Tried and dropped, no difference measured: reading a task's
messages with two read(2)s and no buffer objects instead of ``Connection.recv`` (304 vs 327
us median, load 4.5). A run's SQLite calls come on top (~0.15 ms per task for two write
transactions and one read), and its results and successors.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
from typing import Dict, List, Optional

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.task_overhead_bench import _best_median, _load, export  # noqa: E402

# One measurement, in a process of its own: N tasks through a pool of 2, its own CPU per task in us.
DRIVE = r"""
import resource, sys
from sfncompile.local.pool import Pool, notify, request

def task(message):
    notify(("start_attempt", message))
    request(("get_task", message))
    notify(("finish_attempt", message))
    return message

def answer(payload):
    return {"status": "SUCCEEDED", "task_id": payload[1]}

n = int(sys.argv[1])
pool = Pool(2, task, on_request=answer)
try:
    pool.start(0, 0)  # the template and its first spares, before the clock starts
    while not pool.poll(1.0):
        pass
    before = resource.getrusage(resource.RUSAGE_SELF)
    done, sent = 0, 1
    while done < n:
        while sent <= n and pool.has_capacity():
            pool.start(sent, sent)
            sent += 1
        done += len(pool.poll(1.0))
    after = resource.getrusage(resource.RUSAGE_SELF)
finally:
    pool.shutdown()
print((after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime) / n * 1e6)
"""


def measure(tasks: int, code: Optional[str]) -> float:
    """The driving process's CPU per task, in us."""
    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    if code is not None:
        env["PYTHONPATH"] = code
    with tempfile.TemporaryDirectory(prefix="sfnbench-") as tmp:
        out = subprocess.run([sys.executable, "-c", DRIVE, str(tasks)], env=env, cwd=tmp, check=True,
                             capture_output=True, text=True).stdout
    return float(out.split()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=6)
    parser.add_argument("--before", default=None, help="git revision to measure too, e.g. main")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="sfnbench-code-") as tree:
        codes: Dict[str, Optional[str]] = {}
        if args.before:
            codes[f"before: {args.before}"] = (os.path.abspath(args.before) if os.path.isdir(args.before)
                                               else export(args.before, tree))
        codes["this tree"] = None
        print(f"{_load()} (start)", flush=True)
        for code in codes.values():
            measure(20, code)  # warm the OS caches and the bytecode
        figures: Dict[str, List[float]] = {label: [] for label in codes}
        for _ in range(args.repeat):
            for label, code in codes.items():
                figures[label].append(measure(args.tasks, code))
        print(f"{_load()} (end)", flush=True)
        for label, values in figures.items():
            print(f"[{label}] the scheduler's CPU per task for its task processes' traffic, {args.tasks} tasks, "
                  f"{args.repeat} runs: {_best_median(values, 'us', 0)} "
                  f"(all: {', '.join(f'{v:.0f}' for v in values)}; spread {statistics.pstdev(values):.0f} us)",
                  flush=True)


if __name__ == "__main__":
    main()
