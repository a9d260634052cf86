"""Hybrid-run figures against the emulated AWS of tests/support (printed, never judged).

    python benchmarks/hybrid_bench.py [--jobs 10] [--width 100] [--max-workers 20]

A moto server runs in this process with the infra stack's resources; Batch jobs run as
local subprocesses (the harness's adapter).

* per remote task, what our side adds (target <= 150 ms): the SubmitJob call, the time
  from the job's end (its attempt's stop time) until the poll loop notices it, and the
  log fetch - over ``--jobs`` sequential jobs whose command is a bare ``python -c``.
  The emulator's own queueing (thread start before the attempt) is Batch's time, not
  ours, and is printed apart;
* a ``--width``-item foreach whose body step runs on Batch (``@batch`` attached to it; the
  other steps run locally), scheduled in-process by the local scheduler with the remote
  executor: wall time, SubmitJob calls (target <= one per item) and the API calls per
  operation (no polling storm: one DescribeJobs call covers up to 100 jobs).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from types import MappingProxyType
from typing import Dict, List

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)
FANOUT = os.path.join(ROOT, "tests", "hybrid", "flows", "fanout.py")


def _environ(server, config_path: str) -> None:
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "SFNCOMPILE_ROOT"):
        os.environ.pop(var, None)
    os.environ.update(server.env)
    os.environ["SFNCOMPILE_CONFIG"] = config_path
    os.environ["PYTHONPATH"] = ROOT


def per_task_overhead(server, config: Dict[str, str], jobs: int) -> None:
    from sfncompile.aws.session import client
    from sfncompile.hybrid.jobs import BatchJobs, JobSpec

    jobs_loop = BatchJobs(client("batch", config), client("logs", config), config["batch_log_group"],
                          say=lambda line: None)
    ours: List[float] = []
    queued: List[float] = []
    parts: Dict[str, List[float]] = {"SubmitJob": [], "until the next poll": [], "last poll (DescribeJobs + logs)": []}
    for i in range(jobs):
        spec = JobSpec(name="bench", queue=config["job_queue"], definition=config["job_definition"],
                       parameters={}, command=["python", "-c", f"print('hello {i}')"])
        t0 = time.time()
        job = jobs_loop.submit(i, f"Bench/1/step/{i}", spec)
        submitted = time.time()
        ended = []
        while not ended:
            time.sleep(jobs_loop.next_poll_in())
            before = time.time()
            calls = jobs_loop.calls["GetLogEvents"]
            ended = jobs_loop.poll()
        noticed = time.time()
        record = server.batch.job(job.job_id)
        attempt = record.attempts[-1]
        # the last poll: DescribeJobs said the job ended, then its log was fetched
        log_time = (noticed - before) if jobs_loop.calls["GetLogEvents"] > calls else 0.0
        notice = max(0.0, noticed - attempt.stopped_at - log_time)
        parts["SubmitJob"].append(submitted - t0)
        parts["until the next poll"].append(notice)
        parts["last poll (DescribeJobs + logs)"].append(log_time)
        ours.append((submitted - t0) + notice + log_time)
        queued.append(max(0.0, attempt.started_at - submitted))
    ms = lambda xs: f"median {statistics.median(xs) * 1000:.0f} ms, max {max(xs) * 1000:.0f} ms"  # noqa: E731
    print(f"per remote task, our side (submit + notice the end + log fetch) over {jobs} jobs: {ms(ours)} "
          f"(target <= 150 ms)")
    for name, values in parts.items():
        print(f"  {name}: {ms(values)}")
    print(f"  emulator queueing before the attempt (Batch's time, not ours): {ms(queued)}")
    print(f"  API calls: {dict(jobs_loop.calls)}")


def wide_foreach(config: Dict[str, str], width: int, max_workers: int) -> None:
    from sfncompile.graph import build_graph
    from sfncompile.graph.ir import freeze
    from sfncompile.graph.loader import load_flow_class
    from sfncompile.hybrid import remote_steps
    from sfncompile.hybrid.plan import plan_hybrid
    from sfncompile.local.output import Reporter
    from sfncompile.local.scheduler import LocalRunner
    from sfncompile.aws import config as cfg
    from sfncompile.storage.factory import open_stores

    flow_cls = load_flow_class(FANOUT, None)
    graph = build_graph(flow_cls)
    body = graph["square"]
    steps = ["square"]
    graph = dataclasses.replace(graph, steps=MappingProxyType({
        **graph.steps, "square": dataclasses.replace(body, decorators=MappingProxyType({**body.decorators,
                                                                                       "batch": freeze({})}))}))
    assert remote_steps(graph) == steps
    reporter = Reporter(open(os.devnull, "w"), quiet=True)
    stores = open_stores(cfg.datastore_url(config), cfg.metadata_url(config))
    runner = LocalRunner(flow_cls, graph, parameters={"width": width}, max_workers=max_workers, stores=stores,
                         reporter=reporter)
    runner.restore_signals = True
    executor = plan_hybrid(graph, config, steps, max_workers=max_workers, say=lambda line: None,
                           echo_logs=False, username="bench", namespace="user:bench")
    runner.remote = executor
    t0 = time.time()
    outcome = runner.run()
    wall = time.time() - t0
    calls = dict(executor.jobs.calls)
    print(f"{width}-item foreach on Batch (start, join, end local), --max-workers {max_workers}: {outcome.status} "
          f"in {wall:.1f} s")
    print(f"  SubmitJob {calls.get('SubmitJob', 0)} (target <= {width}), "
          f"DescribeJobs {calls.get('DescribeJobs', 0)} ({calls.get('DescribeJobs', 0) / wall:.1f}/s), "
          f"GetLogEvents {calls.get('GetLogEvents', 0)}, TerminateJob {calls.get('TerminateJob', 0)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--jobs", type=int, default=10)
    parser.add_argument("--width", type=int, default=100)
    parser.add_argument("--max-workers", type=int, default=20)
    args = parser.parse_args()
    from tests.support.aws_resources import create_stack, write_config
    from tests.support.moto_server import MotoServer

    with tempfile.TemporaryDirectory() as tmp, MotoServer(workdir=tmp) as server:
        config = create_stack(server)
        path = write_config(config, os.path.join(tmp, "config.json"))
        _environ(server, str(path))
        os.chdir(tmp)
        per_task_overhead(server, config, args.jobs)
        wide_foreach(config, args.width, args.max_workers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
