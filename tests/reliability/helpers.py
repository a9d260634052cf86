"""Run the real CLI as a subprocess, stop it mid-run, and read what it left behind."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Dict, List, Optional

from sfncompile.client import backend as client_backend
from sfncompile.storage.liveness import process_alive
from sfncompile.storage.factory import open_stores, reset_stores

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWS = os.path.join(HERE, "flows")


def flow_file(name: str) -> str:
    return os.path.join(FLOWS, name + ".py")


def cli(*args: str, env: Optional[Dict[str, str]] = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sfncompile", *args], capture_output=True, text=True,
                          env=env or dict(os.environ), timeout=timeout)


def start_cli(*args: str, env: Dict[str, str], log_dir: str) -> subprocess.Popen:
    """The CLI in a session of its own (signals sent to it reach only it), output to files."""
    out = open(os.path.join(log_dir, "cli.out"), "w")
    err = open(os.path.join(log_dir, "cli.err"), "w")
    env = dict(env, PYTHONFAULTHANDLER="1")  # a SIGABRT prints every thread's stack (see finish)
    proc = subprocess.Popen([sys.executable, "-m", "sfncompile", *args], stdout=out, stderr=err, env=env,
                            start_new_session=True)
    proc.log_dir = log_dir  # type: ignore[attr-defined]
    return proc


def finish(proc: subprocess.Popen, timeout: float = 60) -> int:
    """The exit code; a run still alive after ``timeout`` fails the test with its stacks and output."""
    try:
        return proc.wait(timeout)
    except subprocess.TimeoutExpired:
        tree = subprocess.run(["ps", "-o", "pid,ppid,pgid,stat,wchan:24,args", "--ppid", str(proc.pid)],
                              capture_output=True, text=True).stdout
        os.kill(proc.pid, signal.SIGABRT)
        proc.wait(10)
        with open(os.path.join(proc.log_dir, "cli.out")) as out, open(os.path.join(proc.log_dir, "cli.err")) as err:  # type: ignore[attr-defined]
            raise AssertionError(f"the run did not end in {timeout} s\nchildren:\n{tree}\nstdout:\n{out.read()}"
                                 f"\nstderr:\n{err.read()}") from None


def wait_for(path: str, proc: Optional[subprocess.Popen] = None, timeout: float = 90) -> None:
    deadline = time.time() + timeout
    while not os.path.exists(path):
        if proc is not None and proc.poll() is not None:
            raise AssertionError(f"the run ended (exit {proc.returncode}) before reaching {path}")
        if time.time() > deadline:
            raise AssertionError(f"timed out waiting for {path}")
        time.sleep(0.05)


def signal_repeatedly(proc: subprocess.Popen, signum: int, times: int, gap: float) -> None:
    for _ in range(times):
        try:
            os.kill(proc.pid, signum)
        except ProcessLookupError:
            return
        time.sleep(gap)


def pids_in(path: str) -> List[int]:
    with open(path) as fh:
        return [int(line) for line in fh if line.strip()]


def wait_dead(pids: List[int], timeout: float = 10) -> List[int]:
    """The pids still alive after ``timeout`` seconds (ideally none)."""
    deadline = time.time() + timeout
    alive = [p for p in pids if process_alive(p)]
    while alive and time.time() < deadline:
        time.sleep(0.05)
        alive = [p for p in alive if process_alive(p)]
    for pid in alive:  # never leave them behind, whatever the test says
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    return alive


def fresh_reads() -> None:
    """Forget cached stores and client backends: read what the subprocesses wrote."""
    reset_stores()
    client_backend.reset()


def stored_run(flow: str, run_id: str) -> dict:
    """The run record as stored (not reconciled by liveness)."""
    fresh_reads()
    record = open_stores().metadata.get_run(flow, run_id)
    assert record is not None, f"no run {flow}/{run_id}"
    return record


def runs_of(flow: str) -> List[dict]:
    fresh_reads()
    return open_stores().metadata.list_runs(flow)


def only_run_id(flow: str) -> str:
    runs = runs_of(flow)
    assert len(runs) == 1, runs
    return runs[0]["run_id"]


def staging_files(root: str) -> List[str]:
    found = []
    for directory, _, files in os.walk(root):
        found += [os.path.join(directory, f) for f in files if f.endswith(".sfntmp")]
    return found
