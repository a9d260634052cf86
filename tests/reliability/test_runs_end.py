"""Runs never stay RUNNING for ever: kills, signals, a failing final write, a clone error during resume.

Each test stops a real `sfncompile run` (a subprocess) the way a user or the OS would, then checks
the run's final status (as stored, and as every reader reports it), that `resume` finishes it, and
that no artifact was lost.
"""
from __future__ import annotations

import dataclasses
import multiprocessing
import os
import resource
import signal
import subprocess
import sys

import pytest

from sfncompile import Run
from sfncompile.exceptions import StorageError
from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.local.output import Reporter
from sfncompile.local.scheduler import LocalRunner
from sfncompile.storage.factory import local_root, open_stores

from .helpers import (cli, finish, flow_file, fresh_reads, only_run_id, pids_in, runs_of, signal_repeatedly, staging_files,
                      start_cli, stored_run, wait_dead, wait_for)

GATED = "GatedFlow"


def _resume_and_check_gated(origin: str, env: dict, reuses_start: bool = True) -> None:
    """Resume the origin: it must succeed, reuse `start` (when it had finished), and every artifact must read back."""
    done = cli("resume", flow_file("gated_flow"), "--origin-run-id", origin, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    new = [r["run_id"] for r in runs_of(GATED) if r["run_id"] != origin]
    assert len(new) == 1
    fresh_reads()
    run = Run(f"{GATED}/{new[0]}")
    assert run.status == "SUCCEEDED" and run.data.result == 90 and run["start"].task.data.data == list(range(10))
    if reuses_start:
        assert run["start"].task.origin_pathspec == f"{GATED}/{origin}/start/0"
        assert Run(f"{GATED}/{origin}")["start"].task.data.data == list(range(10))  # the origin's artifacts stay
    assert staging_files(local_root()) == []


def test_kill_9_of_the_scheduler_reads_as_failed_and_resumes(gate, tmp_path):
    path, env = gate
    proc = start_cli("run", flow_file("gated_flow"), env=env, log_dir=str(tmp_path))
    wait_for(f"{path}.reached", proc)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    run_id = only_run_id(GATED)
    record = stored_run(GATED, run_id)
    assert record["status"] == "RUNNING"  # nothing could record the end ...
    assert record["scheduler_pid"] == proc.pid and record["heartbeat_at"]
    fresh_reads()
    run = Run(f"{GATED}/{run_id}")  # ... but every reader sees that the scheduler is gone
    assert run.status == "FAILED" and run.finished and "scheduler lost" in run.error
    listing = cli("runs", GATED, env=env)
    assert next(line for line in listing.stdout.splitlines() if line.startswith(run_id)).split()[1] == "FAILED"
    shown = cli("show", f"{GATED}/{run_id}", env=env)
    assert f"Run {GATED}/{run_id}: FAILED" in shown.stdout and "scheduler lost" in shown.stdout
    # The task the scheduler was running is lost with it, not RUNNING: STEP TASKS DONE FAILED RUNNING LOST ...
    hold = next(line.split() for line in shown.stdout.splitlines() if line.split()[:1] == ["hold"])
    assert hold[1:6] == ["1", "0", "0", "0", "1"], shown.stdout
    assert wait_dead(pids_in(f"{path}.pids")) == []  # the step's subprocess died with its task
    path.unlink()
    _resume_and_check_gated(run_id, env)
    assert stored_run(GATED, run_id)["status"] == "FAILED"  # resume recorded the verdict


@pytest.mark.parametrize(
    "signum, times, gap, says, code",
    [
        (signal.SIGINT, 1, 0.0, "interrupted by the user (Ctrl-C)", 130),
        (signal.SIGINT, 2, 0.3, "interrupted by the user (Ctrl-C)", 130),  # a second Ctrl-C during the cleanup
        (signal.SIGINT, 50, 0.001, "interrupted by the user (Ctrl-C)", 130),  # many, milliseconds apart
        (signal.SIGTERM, 1, 0.0, "terminated (SIGTERM)", 143),
        (signal.SIGHUP, 1, 0.0, "hung up (SIGHUP", 129),
    ],
    ids=["ctrl-c", "ctrl-c-twice", "ctrl-c-burst", "sigterm", "sighup"],
)
def test_signals_stop_the_run_and_say_what_happened(gate, tmp_path, signum, times, gap, says, code):
    path, env = gate
    proc = start_cli("run", flow_file("gated_flow"), env=env, log_dir=str(tmp_path))
    wait_for(f"{path}.reached", proc)
    signal_repeatedly(proc, signum, times, gap)
    assert finish(proc) == code
    run_id = only_run_id(GATED)
    record = stored_run(GATED, run_id)
    assert record["status"] == "FAILED" and says in record["error"]
    if signum != signal.SIGINT:
        assert "Ctrl-C" not in record["error"]
    with open(tmp_path / "cli.err") as fh:
        assert "Traceback" not in fh.read()
    assert wait_dead(pids_in(f"{path}.pids")) == []
    path.unlink()
    _resume_and_check_gated(run_id, env)


class _FullDisk:
    """A metadata store whose run-status writes fail as on a full disk, ``failures`` times (-1: always)."""

    def __init__(self, inner, failures: int) -> None:
        self.inner = inner
        self.failures = failures

    def update_run(self, flow, run_id, **fields):
        if "status" in fields and self.failures != 0:
            self.failures -= 1
            raise StorageError(f"{self.inner.url}: database or disk is full")
        return self.inner.update_run(flow, run_id, **fields)

    def __getattr__(self, name):
        return getattr(self.inner, name)


def _run_failing_flow(failures: int) -> None:
    flow_cls = load_flow_class(flow_file("fail_end_flow"))
    stores = open_stores()
    stores = dataclasses.replace(stores, metadata=_FullDisk(stores.metadata, failures))
    runner = LocalRunner(flow_cls, build_graph(flow_cls), stores=stores, max_workers=2,
                         reporter=Reporter(open(os.devnull, "w"), tty=False))
    runner.prepare()
    runner.run()


def test_storage_error_on_the_final_write_is_retried(gate, monkeypatch):
    _, env = gate
    monkeypatch.setenv("RELIABILITY_FAIL", env["RELIABILITY_FAIL"])
    open(env["RELIABILITY_FAIL"], "w").close()
    fresh_reads()
    _run_failing_flow(failures=2)  # the disk is full for a moment when the run ends
    run_id = only_run_id("FailEndFlow")
    record = stored_run("FailEndFlow", run_id)
    assert record["status"] == "FAILED" and record["failed_step"] == "end"
    os.unlink(env["RELIABILITY_FAIL"])
    done = cli("resume", flow_file("fail_end_flow"), "--origin-run-id", run_id, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    fresh_reads()
    assert Run(f"FailEndFlow/{run_id}")["middle"].task.data.doubled == 40


def test_storage_error_that_lasts_leaves_a_run_readers_see_failed(gate, monkeypatch):
    _, env = gate
    monkeypatch.setenv("RELIABILITY_FAIL", env["RELIABILITY_FAIL"])
    open(env["RELIABILITY_FAIL"], "w").close()
    fresh_reads()
    scheduler = multiprocessing.get_context("fork").Process(target=_run_failing_flow, args=(-1,))
    scheduler.start()
    scheduler.join(120)
    run_id = only_run_id("FailEndFlow")
    assert stored_run("FailEndFlow", run_id)["status"] == "RUNNING"  # the store refused every write ...
    fresh_reads()
    run = Run(f"FailEndFlow/{run_id}")  # ... and the scheduler is gone: readers say FAILED
    assert run.status == "FAILED" and "scheduler lost" in run.error
    os.unlink(env["RELIABILITY_FAIL"])
    done = cli("resume", flow_file("fail_end_flow"), "--origin-run-id", run_id, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    new = [r for r in runs_of("FailEndFlow") if r["run_id"] != run_id][0]
    assert new["status"] == "SUCCEEDED"
    fresh_reads()
    assert Run(f"FailEndFlow/{new['run_id']}").data.result == 42


def _limit_file_size() -> None:
    resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 2**10, 64 * 2**10))


def test_full_disk_during_the_run(gate):
    """RLIMIT_FSIZE makes every write that grows a file past 64 KiB fail (EFBIG), as a full disk does:
    the metadata store's log soon cannot grow, so the run's last writes fail."""
    path, env = gate
    path.unlink()
    proc = subprocess.run([sys.executable, "-m", "sfncompile", "run", flow_file("gated_flow")], env=env,
                          capture_output=True, text=True, timeout=150, preexec_fn=_limit_file_size)
    assert proc.returncode == 1, proc.stdout + proc.stderr
    run_id = only_run_id(GATED)
    fresh_reads()
    run = Run(f"{GATED}/{run_id}")
    assert run.status == "FAILED" and run.finished
    assert staging_files(local_root()) == []
    # Which write hit the limit first varies; whatever finished before it is reused.
    _resume_and_check_gated(run_id, env, reuses_start=False)


def test_temporary_files_of_a_killed_run_are_cleaned_up(gate, tmp_path):
    path, env = gate
    proc = start_cli("run", flow_file("spool_flow"), env=env, log_dir=str(tmp_path))
    wait_for(f"{path}.reached", proc)  # the 9 MiB head of the artifact is in a staging file now
    assert staging_files(local_root())
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(30)
    run_id = only_run_id("SpoolFlow")
    path.unlink()
    done = cli("resume", flow_file("spool_flow"), "--origin-run-id", run_id, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    assert staging_files(local_root()) == []
    fresh_reads()
    new = [r for r in runs_of("SpoolFlow") if r["run_id"] != run_id][0]
    run = Run(f"SpoolFlow/{new['run_id']}")
    assert run.status == "SUCCEEDED" and run.data.size == 9 * 2**20 and run.data.head == "kept"


def _fail_end_run(env: dict) -> str:
    open(env["RELIABILITY_FAIL"], "w").close()
    failed = cli("run", flow_file("fail_end_flow"), env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    os.unlink(env["RELIABILITY_FAIL"])
    return only_run_id("FailEndFlow")


def _marker(run_id: str, step: str) -> str:
    return os.path.join(local_root(), "FailEndFlow", "runs", run_id, step, "0.0.json")


def _resume_fail_end(run_id: str, env: dict) -> str:
    done = cli("resume", flow_file("fail_end_flow"), "--origin-run-id", run_id, env=env)
    assert done.returncode == 0, done.stdout + done.stderr
    new = [r for r in runs_of("FailEndFlow") if r["run_id"] != run_id]
    assert len(new) == 1 and new[0]["status"] == "SUCCEEDED"
    fresh_reads()
    run = Run(f"FailEndFlow/{new[0]['run_id']}")
    assert run.data.result == 42 and run["start"].task.data.base == 20
    assert run["start"].task.origin_pathspec == f"FailEndFlow/{run_id}/start/0"
    return done.stdout


def test_clone_error_during_resume_runs_the_task_again(gate):
    _, env = gate
    run_id = _fail_end_run(env)
    with open(_marker(run_id, "middle"), "w") as fh:
        fh.write("{not json")  # the origin's record of `middle` cannot be read: it cannot be reused
    out = _resume_fail_end(run_id, env)
    assert f"cannot reuse FailEndFlow/{run_id}/middle/0" in out and "running it again" in out
