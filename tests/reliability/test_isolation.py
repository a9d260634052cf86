"""Local task isolation: every task starts clean, and a step's subprocesses never outlive it."""
from __future__ import annotations

import io

from sfncompile import Run
from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.local.output import Reporter
from sfncompile.local.scheduler import LocalRunner

from .helpers import cli, flow_file, fresh_reads, pids_in, runs_of, wait_dead


def _run_in_process(name: str, max_workers: int = 1):
    fresh_reads()
    flow_cls = load_flow_class(flow_file(name))
    out = io.StringIO()
    runner = LocalRunner(flow_cls, build_graph(flow_cls), max_workers=max_workers, reporter=Reporter(out, tty=False))
    runner.prepare()
    return runner.run(), out.getvalue()


def test_each_task_starts_clean_and_its_subprocesses_end_with_it(start_method):
    outcome, printed = _run_in_process("isolation_flow", max_workers=1)
    assert outcome.ok, printed
    fresh_reads()
    run = Run(f"IsolationFlow/{outcome.run_id}")
    start, check = run["start"].task.data, run["check"].task.data
    assert check.cwd == start.cwd_before  # not the directory `start` moved to
    assert check.env is None  # nor its environment variable
    assert check.touched is False  # nor its change to a module global
    assert wait_dead([run["leaky"].task.data.sleeper]) == []
    assert "hi from a subprocess" in run["leaky"].task.stdout


def test_timeout_kills_the_step_and_its_subprocesses(gate, start_method):
    path, env = gate
    failed = cli("run", flow_file("timeout_leak_flow"), env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    run_id = runs_of("TimeoutLeakFlow")[0]["run_id"]
    assert runs_of("TimeoutLeakFlow")[0]["status"] == "FAILED"
    assert wait_dead(pids_in(f"{path}.pids"), timeout=5) == []
    path.unlink()
    done = cli("resume", flow_file("timeout_leak_flow"), "--origin-run-id", run_id, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    fresh_reads()
    run = Run(f"TimeoutLeakFlow/{runs_of('TimeoutLeakFlow')[0]['run_id']}")
    assert run.status == "SUCCEEDED" and run.data.result == 8 and run["start"].task.data.value == 7
