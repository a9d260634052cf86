"""What storing read inherited artifacts again costs a task (in-place changes are kept, as in Metaflow).

    python benchmarks/inherited_bench.py [--mb 100]

A task that reads an inherited artifact pickles it again at its end. Unchanged, it
hashes to the same sha and no blob is written: the cost is one pickle + hash pass and
one existence check. Before this, a read artifact cost nothing at the end of the task
(and in-place changes were lost). Figures: the first save, the load, the re-save of
the unchanged value (the added cost), and the re-save after an in-place change.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)


def _value(mb: int):
    rows = mb * 2**20 // 16
    try:
        import pandas as pd

        return pd.DataFrame({"x": range(rows), "y": [0.5] * rows}), "pandas.DataFrame"
    except ImportError:  # pandas is in the [test] extra; without it, a list of floats
        return [float(i) for i in range(mb * 2**20 // 32)], "list[float]"


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=100)
    args = parser.parse_args()
    from sfncompile.storage.artifacts import ArtifactStore
    from sfncompile.storage.local_objects import LocalObjectStore

    value, kind = _value(args.mb)
    with tempfile.TemporaryDirectory() as tmp:
        store = ArtifactStore(LocalObjectStore(tmp))
        began = time.perf_counter()
        entry = store.save_artifact("BenchFlow", "df", value)
        first = time.perf_counter() - began
        del value
        began = time.perf_counter()
        loaded = store.load_value("BenchFlow", entry["sha"])
        load = time.perf_counter() - began
        blobs = sum(len(files) for _, _, files in os.walk(tmp))
        began = time.perf_counter()
        again = store.save_artifact("BenchFlow", "df", loaded)
        resave = time.perf_counter() - began
        assert again["sha"] == entry["sha"], "an unchanged value must keep its sha"
        assert sum(len(files) for _, _, files in os.walk(tmp)) == blobs, "no new blob for an unchanged value"
        if kind == "pandas.DataFrame":
            loaded["x"] = 0
        else:
            loaded.append(1.0)
        began = time.perf_counter()
        changed = store.save_artifact("BenchFlow", "df", loaded)
        mutated = time.perf_counter() - began
    print(f"inherited {kind} of {entry['size'] / 2**20:.0f} MiB")
    print(f"  first save        {first * 1000:8.0f} ms")
    print(f"  load              {load * 1000:8.0f} ms")
    print(f"  re-save unchanged {resave * 1000:8.0f} ms  (added per task that reads it; same sha, no blob written)")
    print(f"  re-save changed   {mutated * 1000:8.0f} ms  (new sha {changed['sha'][:12]}: the change is kept)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
