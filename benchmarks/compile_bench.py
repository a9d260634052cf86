"""Compiler figures (printed, never judged): compile time and definition size.

* a generated 200-step linear flow: compile time, compact size (as compiled, and with
  realistic ARNs substituted, which is what Step Functions' 1 MiB limit sees);
* a generated 1,000-step linear flow: compile time and size;
* `sfncompile compile` end to end on the 1,000-step flow (process start included).
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from flowgen import write_linear_flow  # noqa: E402

from sfncompile.compiler import compile_flow, substitute, to_json  # noqa: E402
from sfncompile.graph import build_graph_from_file  # noqa: E402

DEPLOYED_VALUES = {
    "JobQueue": "arn:aws:batch:eu-west-1:123456789012:job-queue/sfncompile-prod",
    "JobDefinition": "arn:aws:batch:eu-west-1:123456789012:job-definition/sfncompile-prod-task:12",
    "MetadataTable": "sfncompile-prod-metadata",
    "DatastoreBucket": "sfncompile-prod-datastore-123456789012",
    "DatastorePrefix": "sfncompile",
    "Stack": "sfncompile-prod",
}


def compile_seconds(graph, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        to_json(compile_flow(graph).definition)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def cli_seconds(path: str, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        began = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sfncompile", "compile", path, "--compact"], check=True,
                       stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        for steps in (200, 1000):
            graph = build_graph_from_file(write_linear_flow(tmp, steps))
            seconds = compile_seconds(graph)
            definition = compile_flow(graph).definition
            size = len(to_json(definition).encode("utf-8"))
            deployed, _ = substitute(definition, dict(DEPLOYED_VALUES, FlowName=graph.name))
            deployed_size = len(to_json(deployed).encode("utf-8"))
            print(f"compile: {steps}-step linear flow: {seconds * 1000:.0f} ms; compact {size / 1024:.1f} KiB "
                  f"({size / steps:.0f} B/step), with ARNs substituted {deployed_size / 1024:.1f} KiB "
                  f"({deployed_size / steps:.0f} B/step) of the 1,024 KiB limit")
        path = write_linear_flow(tmp, 1000)
        print(f"compile: `sfncompile compile` of the 1,000-step flow, wall {cli_seconds(path) * 1000:.0f} ms "
              "(process start, graph and compile)")


if __name__ == "__main__":
    main()
