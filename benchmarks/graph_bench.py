"""Graph figures: building the IR of 200- and 1,000-step flows, and `sfncompile check` end to end."""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from flowgen import write_linear_flow  # noqa: E402


def build_time(path: str) -> float:
    code = (
        "import time,sys; t=time.perf_counter(); from sfncompile.graph import build_graph_from_file; "
        f"g=build_graph_from_file({path!r}); print(time.perf_counter()-t)"
    )
    return float(subprocess.check_output([sys.executable, "-c", code], text=True))


def check_time(path: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-m", "sfncompile", "check", path], check=True, capture_output=True)
    return time.perf_counter() - began


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for steps in (200, 1000):
            path = write_linear_flow(tmp, steps)
            build = statistics.median(build_time(path) for _ in range(3))
            check = statistics.median(check_time(path) for _ in range(3))
            print(f"graph: {steps}-step flow: IR built in {build * 1000:.0f} ms (import included); "
                  f"`sfncompile check` wall {check * 1000:.0f} ms")


if __name__ == "__main__":
    main()
