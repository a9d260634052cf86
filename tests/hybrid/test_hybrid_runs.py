"""End to end on emulated AWS: hybrid runs orchestrated by the real CLI (see conftest.py)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time

import pytest

from sfncompile.compiler import jobparams

from .conftest import HYBRID_FLOWS, read_run

MIXED = os.path.join(HYBRID_FLOWS, "mixed.py")
FANOUT = os.path.join(HYBRID_FLOWS, "fanout.py")

pytestmark = pytest.mark.slow


def _run_id(path) -> str:
    with open(path, encoding="utf-8") as handle:
        return handle.read().strip()


def _square_jobs_running(hybrid, count: int) -> list:
    """The run's `square` jobs once ``count`` of them are RUNNING (within 2 minutes)."""
    deadline = time.time() + 120
    while time.time() < deadline:
        running = [j for j in hybrid.jobs() if j.job_name == "FanoutFlow-square" and j.status == "RUNNING"]
        if len(running) == count:
            return running
        time.sleep(0.2)
    raise AssertionError([(j.job_name, j.status) for j in hybrid.jobs()])


def test_one_batch_step_runs_on_batch_the_rest_locally(hybrid, tmp_path):
    id_file = tmp_path / "run-id"
    out = hybrid.cli("run", MIXED, "--run-id-file", str(id_file))
    run_id = _run_id(id_file)
    jobs = hybrid.jobs()
    assert [j.job_name for j in jobs] == ["MixedFlow-train"], out.stdout
    job = jobs[0]
    assert job.command == ["sfncompile", "task", "train", "--run-id", run_id, "--task-id", "0", "--attempt", "0"]
    assert job.effective_resources["VCPU"] == "2" and job.effective_resources["MEMORY"] == "4096"
    assert job.environment["SFNCOMPILE_PRODUCTION"] == "0"
    assert job.environment["SFNCOMPILE_CODE_URL"].endswith(".tar.gz")
    assert job.environment["SFNCOMPILE_WATCH_SCHEDULER"] == "60"  # it stops itself if this scheduler is lost
    assert job.tags == {"sfncompile:stack": "sfncompile-test"}
    # the status line and the job's output, streamed with the pathspec prefix
    pathspec = f"MixedFlow/{run_id}/train/0"
    assert f"[{pathspec}] on batch (job {job.job_id}, " in out.stdout
    assert f"[{pathspec}] training on batch" in out.stdout
    run = read_run("MixedFlow", run_id)
    assert run.successful and run.data.result == 42
    assert run["train"].task.data.where_train == job.job_id
    assert run["start"].task.data.where_start is None and run["end"].task.data.where_end is None
    assert "training on batch" in run["train"].task.stdout


def test_batch_step_without_config_is_one_line_error_or_local_only(hybrid, tmp_path):
    env = {"SFNCOMPILE_CONFIG": str(tmp_path / "missing.json")}
    bad = hybrid.cli("run", MIXED, expect=1, **env)
    assert "step 'train'" in bad.stderr and "no AWS configuration" in bad.stderr and "--local-only" in bad.stderr
    assert "Traceback" not in bad.stderr and not hybrid.jobs()
    ok = hybrid.cli("run", MIXED, "--local-only", **env)
    assert "--local-only: train (@batch) run on this machine" in ok.stdout
    assert "SUCCEEDED" in ok.stdout and not hybrid.jobs()


def test_with_batch_runs_a_foreach_on_batch(hybrid, tmp_path):
    id_file = tmp_path / "run-id"
    out = hybrid.cli("run", FANOUT, "--width", "4", "--with", "batch:cpu=1,memory=1024", "--max-workers", "4",
                     "--with", "timeout:seconds=30", "--run-id-file", str(id_file))
    run_id = _run_id(id_file)
    names = sorted(j.job_name for j in hybrid.jobs())
    assert names == sorted(["FanoutFlow-start", "FanoutFlow-join", "FanoutFlow-end"] + ["FanoutFlow-square"] * 4)
    square_jobs = [j for j in hybrid.jobs() if j.job_name == "FanoutFlow-square"]
    # @timeout: Batch's attempt timeout backs up the in-task alarm (Batch counts 60 s at least)
    assert {j.timeout_seconds for j in hybrid.jobs()} == {60}
    assert {j.effective_resources["MEMORY"] for j in hybrid.jobs()} == {"1024"}
    assert sorted(j.submitted_parameters[jobparams.TASK] for j in square_jobs) == ["0", "1", "2", "3"]
    # the items ran in parallel: each started before any other ended
    attempts = [j.attempts[0] for j in square_jobs]
    assert max(a.started_at for a in attempts) < min(a.stopped_at for a in attempts), out.stdout
    run = read_run("FanoutFlow", run_id)
    assert run.successful and run.data.total == 0 + 1 + 4 + 9
    assert {t.id: t.stdout for t in run["square"].tasks()} == {str(i): f"squared {i}\n" for i in range(4)}
    assert all(f"[FanoutFlow/{run_id}/square/{i}] squared {i}" in out.stdout for i in range(4))


def test_retry_and_catch_act_on_remote_steps_as_locally(hybrid, tmp_path, monkeypatch):
    monkeypatch.setenv("FANOUT_FAIL_ITEM", "1")
    id_file = tmp_path / "run-id"
    out = hybrid.cli("run", FANOUT, "--with", "batch", "--with", "retry:times=1", "--with", "catch:var=failure",
                     "--max-workers", "3", "--run-id-file", str(id_file))
    run_id = _run_id(id_file)
    item = [j for j in hybrid.jobs() if j.job_name == "FanoutFlow-square" and j.submitted_parameters[jobparams.TASK] == "1"]
    assert [j.submitted_parameters[jobparams.ATTEMPT] for j in item] == ["0", "1"]  # @retry: a new job per attempt
    assert f"[FanoutFlow/{run_id}/square/1] attempt 0 failed: ValueError: item 1 failed; retrying" in out.stdout
    run = read_run("FanoutFlow", run_id)
    assert run.successful and run.data.total == 0 + 4  # item 1's exception was caught by @catch in its Batch job
    assert "item 1 failed" in str(run["square"]["1"].data.failure)


def test_remote_failure_then_resume_reuses_remote_successes(hybrid, tmp_path, monkeypatch):
    fixed = tmp_path / "fixed"
    monkeypatch.setenv("FANOUT_FAIL_ITEM", "1")  # Batch jobs take the test process's environment
    monkeypatch.setenv("FANOUT_FIXED", str(fixed))
    id_file = tmp_path / "run-id"
    out = hybrid.cli("run", FANOUT, "--with", "batch", "--max-workers", "3", "--run-id-file", str(id_file), expect=1)
    first = _run_id(id_file)
    assert f"FanoutFlow/{first}/square/1" in out.stdout and "ValueError: item 1 failed" in out.stdout
    failed = read_run("FanoutFlow", first)
    assert not failed.successful and failed.finished
    done_before = {j.job_id for j in hybrid.jobs()}
    fixed.write_text("yes")
    out = hybrid.cli("resume", FANOUT, "--with", "batch", "--origin-run-id", first, "--run-id-file", str(id_file))
    second = _run_id(id_file)
    assert "reused from" in out.stdout
    again = [j for j in hybrid.jobs() if j.job_id not in done_before]
    # only the failed item and what follows ran again; start and the items that succeeded were reused
    assert sorted((j.job_name, j.submitted_parameters[jobparams.TASK]) for j in again) == [
        ("FanoutFlow-end", "0"), ("FanoutFlow-join", "0"), ("FanoutFlow-square", "1")]
    run = read_run("FanoutFlow", second)
    assert run.successful and run.data.total == 5


def test_ctrl_c_terminates_remote_jobs_and_the_run_is_resumable(hybrid, tmp_path, monkeypatch):
    monkeypatch.setenv("FANOUT_SLEEP", "60")
    id_file = tmp_path / "run-id"
    proc = hybrid.start("run", FANOUT, "--with", "batch", "--max-workers", "3", "--run-id-file", str(id_file))
    try:
        running = _square_jobs_running(hybrid, 3)
        time.sleep(1.0)
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, out + err
    for job in running:
        job.wait(30)
        assert job.status == "FAILED" and "stopped by sfncompile" in (job.status_reason or ""), job
    run_id = _run_id(id_file)
    run = read_run("FanoutFlow", run_id)
    assert run.finished and not run.successful
    monkeypatch.setenv("FANOUT_SLEEP", "0")
    out = hybrid.cli("resume", FANOUT, "--with", "batch", "--origin-run-id", run_id)
    assert "reused from" in out.stdout and "SUCCEEDED" in out.stdout


def test_remote_jobs_stop_themselves_when_the_scheduler_is_killed(hybrid, tmp_path, monkeypatch):
    """kill -9 leaves no scheduler to terminate the run's Batch jobs: each job sees its scheduler is lost
    and stops its step, recorded as a failed attempt saying why; the run is then resumable."""
    monkeypatch.setenv("FANOUT_SLEEP", "600")  # far longer than a loaded machine takes to notice
    id_file = tmp_path / "run-id"
    proc = hybrid.start("run", FANOUT, "--with", "batch", "--max-workers", "3", "--run-id-file", str(id_file),
                        SFNCOMPILE_WATCH_SCHEDULER="0.5")  # its jobs check every half second (default 60 s)
    try:
        running = _square_jobs_running(hybrid, 3)
        assert all(j.environment["SFNCOMPILE_WATCH_SCHEDULER"] == "0.5" for j in running)
        time.sleep(2.0)  # several checks while the scheduler is alive: nothing stops
        assert all(j.status == "RUNNING" for j in running)
        killed_at = time.time()
        proc.kill()
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    for job in running:
        job.wait(150)
        assert job.status == "FAILED", job
    assert time.time() - killed_at < 150  # not the 600 s the steps would have slept
    run_id = _run_id(id_file)
    run = read_run("FanoutFlow", run_id)
    assert run.finished and not run.successful and "scheduler lost" in run.error
    stopped = list(run["square"].tasks())
    assert len(stopped) == 3
    for task in stopped:
        assert not task.successful and "TaskKilled: scheduler lost" in task.stderr, task.stderr
    monkeypatch.setenv("FANOUT_SLEEP", "0")
    out = hybrid.cli("resume", FANOUT, "--with", "batch", "--origin-run-id", run_id)
    assert "SUCCEEDED" in out.stdout


def test_a_teammate_reads_the_hybrid_run(hybrid, tmp_path):
    id_file = tmp_path / "run-id"
    hybrid.cli("run", MIXED, "--run-id-file", str(id_file))
    run_id = _run_id(id_file)
    script = (
        "import json\n"
        "from sfncompile import Flow, namespace\n"
        "namespace('user:alice')\n"
        "run = Flow('MixedFlow').latest_run\n"
        "print(json.dumps({'id': run.id, 'result': run.data.result, 'job': run['train'].task.metadata_dict.get('aws_batch_job_id'),\n"
        "    'stdout': run['train'].task.stdout, 'ok': run.successful}))\n"
    )
    env = {**hybrid.env, "SFNCOMPILE_USERNAME": "bob"}
    out = subprocess.run([sys.executable, "-c", script], env=env, cwd=str(tmp_path), capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["id"] == run_id and seen["ok"] and seen["result"] == 42
    assert "training on batch" in seen["stdout"]
    assert seen["job"] == hybrid.jobs()[0].job_id  # the task's metadata says which Batch job ran it


def test_datastore_comes_from_the_config_and_batch_steps_need_s3(hybrid, tmp_path):
    config = json.loads(open(hybrid.env["SFNCOMPILE_CONFIG"]).read())
    config["run"] = {"datastore": "s3"}
    path = tmp_path / "config-s3.json"
    path.write_text(json.dumps(config))
    out = hybrid.cli("run", FANOUT, "--width", "1", SFNCOMPILE_CONFIG=str(path))
    assert "stored:   artifacts in s3://" in out.stdout and not hybrid.jobs()  # run.datastore: s3, all local
    assert not os.path.exists(os.path.join(hybrid.workdir, ".sfncompile"))
    local = hybrid.cli("run", FANOUT, "--width", "1")  # no run.datastore: the local store
    assert "stored:   artifacts in s3://" not in local.stdout
    clash = hybrid.cli("run", MIXED, "--datastore", "local", expect=2)
    assert "--datastore local: train run on AWS Batch" in clash.stderr and not hybrid.jobs()
