"""Storage figures (local backends): a 200 MB artifact, small artifacts, metadata writes, fsync cost.

    python benchmarks/storage_bench.py [--mb 200] [--tasks 1000]

The large-artifact case runs in a fresh process so its peak RSS is its own: the value
is created, saved (pickled straight to disk, sha256 and XXH3 on the way), dropped, then
loaded (XXH3 checked through a map of the file while it is unpickled from the file).
Targets: write+read <= 2 s, peak RSS <= 2.5x the artifact. Small artifacts: a task
writing 5 should cost ~1 ms.

Issue 13's figures: the stored size of a million-int list (Metaflow: 1.3 MB) and of
other typical values; the 200 MB bytes artifact flow (benchmarks/flows/big_artifact.py)
end to end with `sfncompile run` (target <= 0.9 s, peak memory <= 1.5x the artifact)
and the client's load of that artifact in a fresh process (target <= 0.15 s); then the
load of a 200 MiB bytes, bytearray and NumPy array (out-of-band buffer, zero-copy; only
when NumPy is importable) from a local store, each in a fresh process. The machine is
shared: each figure is the best and the median of --repeat runs, with the CPU seconds
(user + system, all threads and processes: less sensitive to the machine's load than
wall time) and the load average. ``--before REV`` runs the flow with REV's code too, the
two taking turns run by run.

Reference (shared 2-core machine, ``--only issue13 --before main --repeat 7``, load
average 6.7; main was 1ff6983): 200 MB flow before best 1.88 s, median 2.66 s (CPU best
1.35 s, median 1.46 s); now best 1.54 s, median 2.32 s (CPU best 1.10 s, median 1.47 s);
peak RSS 1.12x both; client load best 0.28 -> 0.19 s, medians 0.38 / 0.33 s (noise at that
load). The same flow with a 1 MB artifact, 8 pairs at load 4.3: best 0.60 -> 0.44 s, median
0.65 -> 0.57 s, CPU median 0.49 -> 0.43 s. At low load (1.3, ``--before 1ff6983``, the
default repeat, taking turns): 200 MB flow best 1.00 -> 0.98 s, median 1.26 -> 1.05 s (CPU best
1.29 -> 1.24 s, median 1.56 -> 1.26 s); peak RSS 1.12x -> 1.11x; client load best 0.115 ->
0.111 s, median 0.130 -> 0.124 s. The 0.9 s target is not met.
Against 604e735 (a run no longer imports the hybrid job executor; task processes fork from a
template warmed by sfncompile's own task path), 7 pairs at load 1.5: best 0.85 -> 0.85 s,
median 1.05 -> 1.10 s; client load best 0.153 -> 0.152 s, median 0.187 -> 0.164 s. The same
minutes' spread is the point: at load 0.2 this tree ran best 0.86 s, median 0.97 s, client load
0.113 s, and seven runs in a row took 0.76-1.20 s, the difference being mostly whether the
kernel hands the 200 MB out of pages just freed (see below).
Against main at c0bf49c (codecs preloaded, metadata relayed), 5 pairs at load 7.7: main best
1.71 s, median 2.11 s (CPU 1.18 / 1.43 s), this tree 1.84 / 2.48 s (CPU 1.18 / 1.22 s): inside
that load's noise. Freeing a task's values before it reports, alone (22 pairs at load 6.5-7.6):
no measurable change in wall or CPU; it keeps one copy of a large value in memory between tasks.
What changed: the command's exit no longer runs the interpreter's collections over
every imported object (0.1-0.2 s here; stores closed, objects frozen); the template's
collection before its first fork finds nothing (the scheduler froze its objects); a
task frees its values before it reports (they were kept by a reference cycle until the
process was killed); templates import zstandard and xxhash once (5-15 ms a task; main
has since done the same); a run imports the environment resolver and builder only for a
flow that declares an environment (5-40 ms); a large load parses the blob header once.
Where the 200 MB flow's CPU still goes (perf, one run): about 30% is copying the pickle
into the page cache (``write``), which costs 0.07 s for 200 MB when the kernel hands
out pages just freed and up to 0.45 s when it hands out pages the virtual machine's
host must back first (the same first-touch cost makes creating the value in ``start``
and the fresh ``bytes`` of the load 0.1-0.3 s each); sha256 (0.15 s, the key) runs
beside the write; huge pages for the loaded value were tried and lost here (the huge
pages the kernel hands out are the ones the host reclaimed).
"""
from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from benchmarks.task_overhead_bench import export  # noqa: E402

_BIG = r"""
import json, os, resource, sys, time
from sfncompile.storage.artifacts import ArtifactStore
from sfncompile.storage.local_objects import LocalObjectStore

def peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: KiB

size = int(sys.argv[2]) * 2**20
store = ArtifactStore(LocalObjectStore(sys.argv[1]))
base = peak_mb()
value = os.urandom(size)
began = time.perf_counter()
entry = store.save_artifact("BenchFlow", "big", value)
write = time.perf_counter() - began
peak_write = peak_mb()
del value
began = time.perf_counter()
loaded = store.load_value("BenchFlow", entry["sha"])
read = time.perf_counter() - began
assert len(loaded) == size
print(json.dumps({"write": write, "read": read, "base": base, "peak_write": peak_write, "peak": peak_mb()}))
"""


def big_artifact(mb: int) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        out = subprocess.check_output([sys.executable, "-c", _BIG, tmp, str(mb)], text=True, cwd=ROOT)
    return json.loads(out)


def stored_sizes() -> List[str]:
    """Stored bytes of typical values (compressed when it pays), against their raw pickles."""
    import pickle
    import random

    from sfncompile.storage.artifacts import ArtifactStore
    from sfncompile.storage.local_objects import LocalObjectStore

    rng = random.Random(0)
    values = {
        "a million ints": list(range(1_000_000)),
        "200k short strings": [f"item-{i}" for i in range(200_000)],
        "200k random floats": [rng.random() for _ in range(200_000)],
        "4 MB random bytes": os.urandom(4 * 2**20),
    }
    out = []
    with tempfile.TemporaryDirectory() as tmp:
        store = ArtifactStore(LocalObjectStore(tmp))
        for label, value in values.items():
            raw = len(pickle.dumps(value, protocol=5))
            began = time.perf_counter()
            entry = store.save_artifact("BenchFlow", "v", value)
            saved = time.perf_counter() - began
            stored = os.path.getsize(store.objects.local_path(store.blob_key("BenchFlow", entry["sha"])))
            out.append(f"{label}: {stored / 1e6:.2f} MB stored of {raw / 1e6:.2f} MB pickled "
                       f"({stored / raw:.0%}; saved in {saved * 1000:.0f} ms)")
    return out


_CLIENT_LOAD = r"""
import sys, time
from sfncompile import Flow, namespace
namespace(None)
task = Flow("BigArtifactFlow").latest_run["start"].task
began, cpu = time.perf_counter(), time.process_time()
value = task.data.blob
print(time.perf_counter() - began, time.process_time() - cpu, len(value))
"""

# Loads one artifact of an ArtifactStore in a fresh process: wall and CPU seconds (all threads).
_STORE_LOAD = r"""
import sys, time
from sfncompile.storage.artifacts import ArtifactStore
from sfncompile.storage.local_objects import LocalObjectStore
store = ArtifactStore(LocalObjectStore(sys.argv[1]))
if sys.argv[3] == "numpy":
    import numpy  # imported before the timing, as a user's step would have
began, cpu = time.perf_counter(), time.process_time()
value = store.load_value("BenchFlow", sys.argv[2])
print(time.perf_counter() - began, time.process_time() - cpu, type(value).__name__)
"""


def big_flow(repeat: int, trees: Dict[str, str]) -> Dict[str, dict]:
    """`sfncompile run` of the 200 MB bytes artifact flow (fresh store each time), its largest
    process's peak RSS, and the client's load of the artifact in a fresh process, for the code
    of each of ``trees`` ({label: source tree}), taking turns run by run (same minutes, same load)."""
    figures = {label: {"walls": [], "cpus": [], "peaks": [], "loads": [], "load_cpus": []} for label in trees}
    flow = os.path.join(ROOT, "benchmarks", "flows", "big_artifact.py")
    for _ in range(repeat):
        for label, tree in trees.items():
            out = figures[label]
            with tempfile.TemporaryDirectory() as tmp:
                env = dict(os.environ, SFNCOMPILE_ROOT=os.path.join(tmp, "store"), SFNCOMPILE_USERNAME="bench")
                env["PYTHONPATH"] = tree + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH") else "")
                code = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
                        "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL); "
                        "r = resource.getrusage(resource.RUSAGE_CHILDREN); "
                        "print(time.perf_counter() - t, r.ru_utime + r.ru_stime, r.ru_maxrss)")
                run = subprocess.check_output([sys.executable, "-c", code, sys.executable, "-m", "sfncompile", "run",
                                               flow, "--quiet"], env=env, text=True, cwd=tmp)
                wall, cpu, peak_kb = run.split()
                out["walls"].append(float(wall))
                out["cpus"].append(float(cpu))
                out["peaks"].append(int(peak_kb) / 1024)
                load = subprocess.check_output([sys.executable, "-c", _CLIENT_LOAD], env=env, text=True,
                                               cwd=tmp).split()
                out["loads"].append(float(load[0]))
                out["load_cpus"].append(float(load[1]))
    return figures


def buffer_loads(mb: int, repeat: int) -> List[str]:
    """Load of a ``mb`` MB bytes, bytearray and NumPy array (when NumPy is importable: it is no
    dependency) from a local store, each in a fresh process: wall and CPU seconds."""
    values = {"bytes": lambda: os.urandom(2**20) * mb, "bytearray": lambda: bytearray(os.urandom(2**20) * mb)}
    try:
        import numpy

        values["numpy"] = lambda: numpy.frombuffer(os.urandom(2**20) * mb, dtype=numpy.float64).copy()
    except ImportError:
        pass
    from sfncompile.storage.artifacts import ArtifactStore
    from sfncompile.storage.local_objects import LocalObjectStore

    out = []
    with tempfile.TemporaryDirectory() as tmp:
        store = ArtifactStore(LocalObjectStore(tmp))
        for kind, make in values.items():
            sha = store.save_artifact("BenchFlow", kind, make())["sha"]
            walls, cpus = [], []
            for _ in range(repeat):
                wall, cpu, name = subprocess.check_output([sys.executable, "-c", _STORE_LOAD, tmp, sha, kind],
                                                          text=True, cwd=ROOT).split()
                walls.append(float(wall))
                cpus.append(float(cpu))
            out.append(f"{mb} MiB {name}: load in a fresh process {_spread(walls, digits=3)}; "
                       f"CPU {_spread(cpus, digits=3)}")
    return out


def _spread(values: List[float], unit: str = "s", digits: int = 2) -> str:
    return f"best {min(values):.{digits}f} {unit}, median {statistics.median(values):.{digits}f} {unit}"


def small_artifacts(tasks: int) -> dict:
    from sfncompile.storage.artifacts import ArtifactStore
    from sfncompile.storage.local_objects import LocalObjectStore

    with tempfile.TemporaryDirectory() as tmp:
        store = ArtifactStore(LocalObjectStore(tmp))
        store.save_artifacts("BenchFlow", {"warm": lambda: 0})  # import cloudpickle outside the timing
        began = time.perf_counter()
        for i in range(tasks):
            index = store.save_artifacts(
                "BenchFlow", {"i": i, "name": f"task-{i}", "scores": [i, i + 1.5], "cfg": {"i": i}, "ok": i % 2 == 0}
            )
            store.commit_attempt("BenchFlow", "r1", "work", str(i), 0, index, {"status": "SUCCEEDED"})
        write = (time.perf_counter() - began) / tasks
        began = time.perf_counter()
        for i in range(tasks):
            record = store.load_attempt("BenchFlow", "r1", "work", str(i))
            store.load_values("BenchFlow", record["artifacts"])
        read = (time.perf_counter() - began) / tasks
        began = time.perf_counter()
        for i in range(tasks):  # same values again: every blob deduplicated
            index = store.save_artifacts("BenchFlow", {"i": 1, "name": "x", "scores": [1, 2.5], "cfg": {"i": 1}, "ok": True})
            store.commit_attempt("BenchFlow", "r2", "work", str(i), 0, index)
        dedup = (time.perf_counter() - began) / tasks
    return {"write": write, "read": read, "dedup": dedup}


def metadata(tasks: int) -> dict:
    from sfncompile.storage.sqlite_metadata import SqliteMetadataStore

    with tempfile.TemporaryDirectory() as tmp:
        meta = SqliteMetadataStore(os.path.join(tmp, "m.sqlite"))
        meta.create_run("BenchFlow", "r1", username="u", namespace="user:u")
        began = time.perf_counter()
        for i in range(tasks):
            meta.start_attempt("BenchFlow", "r1", "work", str(i), 0)
            meta.finish_attempt("BenchFlow", "r1", "work", str(i), 0, status="SUCCEEDED", cardinality=3)
        attempt = (time.perf_counter() - began) / tasks
        began = time.perf_counter()
        listed = meta.list_tasks("BenchFlow", "r1")
        listing = time.perf_counter() - began
        assert len(listed) == tasks
        meta.close()
    return {"attempt": attempt, "list": listing}


def fsync_cost(n: int = 200) -> dict:
    from sfncompile.storage.local_objects import LocalObjectStore

    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for fsync in (False, True):
            store = LocalObjectStore(os.path.join(tmp, str(fsync)), fsync=fsync)
            store.put_bytes("warm/x", b"x")
            times = []
            for i in range(n):
                began = time.perf_counter()
                store.put_bytes(f"k/{i}", b"x" * 100)
                times.append(time.perf_counter() - began)
            out[fsync] = statistics.median(times)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=int, default=200)
    parser.add_argument("--tasks", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", choices=["issue13"], default=None, help="print only issue 13's figures")
    parser.add_argument("--before", default=None,
                        help="git revision whose code runs the 200 MB flow too, in turns with this tree's (e.g. main)")
    args = parser.parse_args()

    for line in stored_sizes():
        print(f"storage: {line}", flush=True)
    with tempfile.TemporaryDirectory(prefix="sfnbench-code-") as before:
        trees = {}
        if args.before:  # compiled first, as this tree is: no run of it pays for compiling
            trees[f"before: {args.before}"] = export(args.before, before)
            compileall.compile_dir(before, quiet=1)
        trees["this tree"] = ROOT
        for label, flow in big_flow(args.repeat, trees).items():
            print(f"storage: [{label}] 200 MB bytes artifact flow, `sfncompile run` end to end: "
                  f"{_spread(flow['walls'])} (target <= 0.9 s; CPU of all its processes {_spread(flow['cpus'])}); "
                  f"largest process's peak RSS {min(flow['peaks']):.0f} MB = {min(flow['peaks']) / 200:.2f}x the "
                  f"artifact (target <= 1.5x); client load of it in a fresh process: "
                  f"{_spread(flow['loads'], digits=3)} (target <= 0.15 s; CPU {_spread(flow['load_cpus'], digits=3)}); "
                  f"load average {os.getloadavg()[0]:.1f}", flush=True)
    for line in buffer_loads(args.mb, args.repeat):
        print(f"storage: {line} (target <= 0.15 s); load average {os.getloadavg()[0]:.1f}", flush=True)
    if args.only == "issue13":
        return

    big = big_artifact(args.mb)
    artifact_mb = args.mb
    print(f"storage: {artifact_mb} MB bytes artifact: write {big['write']:.2f} s + read {big['read']:.2f} s = "
          f"{big['write'] + big['read']:.2f} s (target <= 2 s); peak RSS {big['peak']:.0f} MB = "
          f"{big['peak'] / artifact_mb:.2f}x the artifact (target <= 2.5x; interpreter alone {big['base']:.0f} MB, "
          f"peak while writing {big['peak_write']:.0f} MB)")
    small = small_artifacts(args.tasks)
    print(f"storage: task with 5 small artifacts: save+commit {small['write'] * 1000:.2f} ms "
          f"(all deduplicated: {small['dedup'] * 1000:.2f} ms), load record+values {small['read'] * 1000:.2f} ms")
    meta = metadata(args.tasks)
    print(f"storage: SQLite start+finish attempt {meta['attempt'] * 1000:.2f} ms; "
          f"list {args.tasks} tasks {meta['list'] * 1000:.1f} ms")
    fs = fsync_cost()
    print(f"storage: local put_bytes median {fs[False] * 1e6:.0f} us without fsync, "
          f"{fs[True] * 1e6:.0f} us with fsync=True")


if __name__ == "__main__":
    main()
