"""Local figures: import time, `check`, a 100-way foreach, a 200 MB artifact, client reads.

Every run is a real subprocess (`sfncompile run ...`) in a fresh store under a
temporary directory. Figures are printed, never judged; the reference numbers are
Metaflow 2.19 measured on the same 2-core machine.
"""
from __future__ import annotations

import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWS = os.path.join(HERE, "flows")
PY = sys.executable


def _env(root: str) -> dict:
    env = dict(os.environ)
    env["SFNCOMPILE_ROOT"] = root
    env.pop("SFNCOMPILE_DATASTORE", None)
    env.pop("SFNCOMPILE_METADATA", None)
    env.setdefault("SFNCOMPILE_USERNAME", "bench")
    # Measure what users get: bytecode cached after the first import (this sandbox sets
    # PYTHONDONTWRITEBYTECODE, which would recompile every module in every process).
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _run(args, env, check=True) -> float:
    began = time.perf_counter()
    subprocess.run(args, env=env, check=check, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return time.perf_counter() - began


def _median(fn, n=3) -> float:
    return statistics.median(fn() for _ in range(n))


def import_time(env) -> float:
    code = "import time; t=time.perf_counter(); import sfncompile; print(time.perf_counter()-t)"
    return _median(lambda: float(subprocess.check_output([PY, "-c", code], env=env, text=True)), 5)


def process_import_time(env) -> float:
    """`python -c 'import sfncompile'` wall, interpreter start included."""
    return _median(lambda: _run([PY, "-c", "import sfncompile"], env), 5)


def check_time(env) -> float:
    return _median(lambda: _run([PY, "-m", "sfncompile", "check", os.path.join(FLOWS, "steps200.py")], env))


def foreach_times(env):
    flow = os.path.join(FLOWS, "foreach100.py")
    cmd = [PY, "-m", "sfncompile", "run", flow, "--quiet"]
    wide = _median(lambda: _run(cmd, env))
    narrow = _median(lambda: _run(cmd + ["--width", "1"], env))
    serial_wide = _median(lambda: _run(cmd + ["--max-workers", "1"], env))
    serial_narrow = _median(lambda: _run(cmd + ["--max-workers", "1", "--width", "1"], env))
    return wide, narrow, serial_wide, serial_narrow


def big_artifact(env):
    flow = os.path.join(FLOWS, "big_artifact.py")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    wall = _run([PY, "-m", "sfncompile", "run", flow, "--quiet"], env)
    peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, peak_kb * 1024, before


def wide_run(env) -> str:
    """A fresh 100-way run; returns its pathspec (the client figures read it)."""
    out = subprocess.run([PY, "-m", "sfncompile", "run", os.path.join(FLOWS, "foreach100.py"), "--quiet"],
                         env=env, check=True, capture_output=True, text=True).stdout
    return out.split()[0]


def client_end_artifact(env) -> float:
    code = (
        "import time; t=time.perf_counter(); from sfncompile import Flow; "
        "v=Flow('Foreach100Flow').latest_run.data.total; assert v == 9900; print(time.perf_counter()-t)"
    )
    inner = _median(lambda: float(subprocess.check_output([PY, "-c", code], env=env, text=True)), 5)
    wall = _median(lambda: _run([PY, "-c", code], env), 5)
    return inner, wall


def client_iterate(env) -> float:
    code = (
        "import time; t=time.perf_counter(); from sfncompile import Flow; "
        "run=Flow('Foreach100Flow').latest_run; vals=[t.data.value for t in run['work'].tasks()]; "
        "assert len(vals)==100; print(time.perf_counter()-t)"
    )
    return _median(lambda: float(subprocess.check_output([PY, "-c", code], env=env, text=True)), 5)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sfnbench-") as tmp:
        env = _env(os.path.join(tmp, "store"))
        # warm the OS caches (first interpreter start is always slower)
        subprocess.run([PY, "-c", "import sfncompile, click, cloudpickle"], env=env, check=True)
        subprocess.run([PY, "-m", "sfncompile", "run", os.path.join(FLOWS, "foreach100.py"), "--quiet", "--width", "2"],
                       env=env, check=True, capture_output=True)

        t = import_time(env)
        w = process_import_time(env)
        print(f"import sfncompile: {t * 1000:.0f} ms in-process, {w * 1000:.0f} ms wall with interpreter start"
              f"   (target <= 150 ms; Metaflow `import metaflow` 0.38 s)")

        c = check_time(env)
        print(f"sfncompile check, 200-step flow: {c * 1000:.0f} ms wall   (target <= 0.5 s)")

        wide, narrow, serial_wide, serial_narrow = foreach_times(env)
        print(f"100-way foreach (102 tasks), `sfncompile run` subprocess: {wide:.2f} s wall"
              f"   (target <= 3.5 s; Metaflow 28-36 s)")
        print(f"  per-task overhead: {(wide - narrow) / 99 * 1000:.1f} ms marginal with the default pool, "
              f"{(serial_wide - serial_narrow) / 99 * 1000:.1f} ms serial (--max-workers 1)   (target <= 30 ms)")

        bwall, peak, _ = big_artifact(env)
        size = 200 * 2**20
        print(f"200 MB artifact written and read back: {bwall:.2f} s wall end to end   "
              f"(target <= 2 s; Metaflow 12-13 s)")
        print(f"  memory peak (largest process): {peak / 2**20:.0f} MiB = {peak / size:.2f}x the artifact   "
              f"(target <= 2.5x)")

        wide_run(env)
        inner, cwall = client_end_artifact(env)
        print(f"client, latest run's end artifact in a fresh process: {inner * 1000:.0f} ms in-process, "
              f"{cwall * 1000:.0f} ms wall   (target <= 0.3 s)")
        it = client_iterate(env)
        print(f"client, 100 foreach tasks, one artifact each: {it * 1000:.0f} ms (import included)   (target <= 0.5 s)")


if __name__ == "__main__":
    main()
