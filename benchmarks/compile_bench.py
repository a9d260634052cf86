"""Compiler figures (printed, never judged): compile time, definition size, cost model.

* generated 200- and 1,000-step linear flows: compile time, compact size (as compiled, and
  with realistic ARNs substituted), bytes per step, the CreateStateMachine request's bytes
  (the definition escaped as a JSON string: what Step Functions' 1 MB request quota sees,
  ``compiler.size.deployed_size``) and how many linear steps fit in it (target: <= 300 B/step,
  >= 3,000 steps);
* a 3,000-step linear flow (past the limit before job definition defaults stood for task and
  attempt): compiles?
  and the size warning `compile`/`check` give;
* bytes of one Task state per shape (a branch's step, a foreach body step, a join), as
  deployed, in the examples;
* nested `auto` foreaches, 1 to 4 deep, with a 5-step body: compact size (target: depth 4
  <= 60 KB, growing linearly);
* the cost model (`compile --stats`): transitions per linear step and per foreach item;
* `sfncompile compile` end to end on the 1,000-step flow (process start included).

Reference figures (byte figures are exact; times from an interleaved before/after run at load
average ~7 on the shared 2-core machine, so only indicative), before -> after the one-letter job
parameters (``s``/``r``/``t``/``a``), frame values under ``$.c`` and foreach indices stored as
strings (a single-foreach body step reads its task id without a ``States.Format``):

* linear steps with real ARNs: 309 -> 304 B/step, so 3,392 -> 3,448 linear steps fit in 1 MiB
  (target <= 300 B/step not reached: see docs/internals.md, "State payload");
* 200-step flow: 60.6 -> 59.6 KiB with ARNs; 1,000-step flow: 302.0 -> 297.1 KiB;
* 3,000-step flow: 935,298 -> 920,296 bytes as deployed (89% -> 88% of the limit, warns);
* one Task as deployed: branch step 314 -> 309 B, foreach body step 383 -> 353 B, join 310 -> 305 B;
* nested auto foreach, 5-step body: depth 4 16.3 -> 16.0 KiB;
* cost model unchanged: 1 transition per linear step, 1 (inline) / 2 (distributed) per foreach item;
* compile of the 1,000-step flow 98-137 ms before, 112-151 ms after (noise at that load).

Measured as the request (the definition escaped as a JSON string, which is what the 1 MB
quota counts): linear steps 304 B/step compact, 356 B/step in the request, so 2,931 linear
steps fit, not the 3,448 the compact size suggested; the 3,000-step flow is 1,081,050 bytes as a
request and is refused (it warned at 88% when the compact size was measured).

Before/after: run it once as is, and once against another tree, e.g.
``git archive main | tar -x -C /tmp/before && PYTHONPATH=/tmp/before python benchmarks/compile_bench.py``
(figures the older tree cannot produce print as ``n/a``).
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
from flowgen import write_linear_flow, write_nested_foreach_flow  # noqa: E402

from sfncompile.compiler import DeploySettings, compile_flow, substitute, to_json  # noqa: E402
from sfncompile.compiler.size import deployed_size  # noqa: E402
from sfncompile.exceptions import CompileError  # noqa: E402
from sfncompile.graph import build_graph_from_file  # noqa: E402

LIMIT = 1_048_576
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
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def deployed_bytes(graph, definition) -> int:
    deployed, _ = substitute(definition, dict(DEPLOYED_VALUES, FlowName=graph.name))
    return len(to_json(deployed).encode("utf-8"))


def linear(tmp: str) -> None:
    sizes, requests = {}, {}
    for steps in (200, 1000):
        graph = build_graph_from_file(write_linear_flow(tmp, steps))
        seconds = compile_seconds(graph)
        definition = compile_flow(graph).definition
        size = len(to_json(definition).encode("utf-8"))
        sizes[steps] = deployed = deployed_bytes(graph, definition)
        requests[steps] = request = deployed_size(definition, graph.name)
        print(f"compile: {steps}-step linear flow: {seconds * 1000:.0f} ms; compact {size / 1024:.1f} KiB "
              f"({size / steps:.0f} B/step), with ARNs substituted {deployed / 1024:.1f} KiB "
              f"({deployed / steps:.0f} B/step); CreateStateMachine request {request / 1024:.1f} KiB "
              f"of the 1,024 KiB limit")
    per_step = (sizes[1000] - sizes[200]) / 800
    per_request_step = (requests[1000] - requests[200]) / 800
    fits = int((LIMIT - (requests[200] - 200 * per_request_step)) / per_request_step)
    print(f"compile: linear steps with real ARNs: {per_step:.0f} B/step, {per_request_step:.0f} B/step in the "
          f"request, so {fits:,} linear steps fit in 1 MiB (target: <= 300 B/step, >= 3,000 steps)")


def near_limit(tmp: str) -> None:
    graph = build_graph_from_file(write_linear_flow(tmp, 3000))
    try:
        result = compile_flow(graph)
    except CompileError as exc:
        print(f"compile: 3,000-step linear flow: refused: {exc.message}")
        return
    size = deployed_size(result.definition, graph.name)
    warned = [str(w).splitlines()[0] for w in result.warnings]
    print(f"compile: 3,000-step linear flow: compiles, {size:,} bytes in the request "
          f"({'over' if size > LIMIT else 'under'} the limit); warning: {warned[0] if warned else 'none'}")


def _batch_tasks(states, found) -> None:
    """Every Batch Task state, with the Maps' and Parallels' inner ones (first copy of each name)."""
    for name, state in states.items():
        if state.get("Type") == "Task" and "batch" in state.get("Resource", ""):
            found.setdefault(name, state)
        for inner in [state.get("ItemProcessor")] + list(state.get("Branches", [])):
            if inner:
                _batch_tasks(inner["States"], found)


def shapes() -> None:
    examples = os.path.join(os.path.dirname(HERE), "examples")
    shown = []
    for example, step, kind in (("branch.py", "double", "branch step"), ("foreach.py", "square", "foreach body step"),
                                ("foreach.py", "join", "join")):
        graph = build_graph_from_file(os.path.join(examples, example))
        deployed, _ = substitute(compile_flow(graph).definition, dict(DEPLOYED_VALUES, FlowName=graph.name))
        found = {}
        _batch_tasks(deployed["States"], found)
        shown.append(f"{kind} ({graph.name}.{step}) {len(to_json({step: found[step]})) + 1} B")
    print(f"compile: one Task state as deployed: {'; '.join(shown)}")


def nested(tmp: str) -> None:
    sizes = []
    for depth in (1, 2, 3, 4):
        graph = build_graph_from_file(write_nested_foreach_flow(tmp, depth, 5))
        sizes.append(len(to_json(compile_flow(graph).definition).encode("utf-8")))
    shown = ", ".join(f"depth {d}: {s / 1024:.1f} KiB" for d, s in zip((1, 2, 3, 4), sizes))
    print(f"compile: nested auto foreach, 5-step body: {shown} (target: depth 4 <= 60 KB)")


def cost(tmp: str) -> None:
    try:
        from sfncompile.compiler.cost import cost_model
    except ImportError:
        print("cost model: n/a (this tree has none)")
        return
    graph = build_graph_from_file(write_linear_flow(tmp, 200))
    model = cost_model(graph, compile_flow(graph).definition)
    print(f"cost model: 200-step linear flow: {model.transitions} transitions per run "
          f"({model.per_kind['linear']:g} per linear step; target <= 2), {model.batch_jobs} Batch jobs, "
          f"${model.cost_usd:.4f} per run")
    graph = build_graph_from_file(write_nested_foreach_flow(tmp, 1, 1))
    for mode in ("inline", "distributed"):
        model = cost_model(graph, compile_flow(graph, DeploySettings(default_foreach_mode=mode)).definition, 100)
        [extra] = model.per_item.values()
        print(f"cost model: {mode} foreach, 1-step body, 100 items: {1 + extra} transitions per item "
              f"(target <= 3), {model.transitions} per run, ${model.cost_usd:.4f} per run")


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        linear(tmp)
        near_limit(tmp)
        shapes()
        nested(tmp)
        cost(tmp)
        path = write_linear_flow(tmp, 1000)
        print(f"compile: `sfncompile compile` of the 1,000-step flow, wall {cli_seconds(path) * 1000:.0f} ms "
              "(process start, graph and compile)")


if __name__ == "__main__":
    main()
