"""Storage you can trust: a tampered blob is not deduplicated against, a missing marker is "not committed"."""
from __future__ import annotations

import os

import pytest

from sfncompile import Run
from sfncompile.exceptions import IntegrityError
from sfncompile.storage.factory import local_root

from .helpers import cli, flow_file, fresh_reads, runs_of
from .test_runs_end import _fail_end_run, _marker, _resume_fail_end


def test_flipped_byte_in_a_blob_does_not_poison_the_next_run(gate):
    _, env = gate
    first = cli("run", flow_file("fail_end_flow"), env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    fresh_reads()
    run_id = runs_of("FailEndFlow")[0]["run_id"]
    sha = Run(f"FailEndFlow/{run_id}")["middle"].task["doubled"].sha
    blob = os.path.join(local_root(), "FailEndFlow", "blobs", sha[:2], sha)
    with open(blob, "r+b") as fh:
        data = bytearray(fh.read())
        data[-2] ^= 0xFF
        fh.seek(0)
        fh.write(data)
    fresh_reads()
    with pytest.raises(IntegrityError):
        Run(f"FailEndFlow/{run_id}")["middle"].task.data.doubled
    second = cli("run", flow_file("fail_end_flow"), env=env)
    assert second.returncode == 0, second.stdout + second.stderr
    fresh_reads()
    newest = runs_of("FailEndFlow")[0]["run_id"]
    assert newest != run_id
    assert Run(f"FailEndFlow/{newest}")["middle"].task.data.doubled == 40
    assert Run(f"FailEndFlow/{newest}").data.result == 42
    assert Run(f"FailEndFlow/{run_id}")["middle"].task.data.doubled == 40  # the same blob, repaired


def test_missing_commit_marker_reads_as_not_committed(gate):
    _, env = gate
    run_id = _fail_end_run(env)
    os.unlink(_marker(run_id, "middle"))
    dumped = cli("dump", f"FailEndFlow/{run_id}/middle/0", env=env)
    assert dumped.returncode != 0
    assert "never committed" in dumped.stderr and "resume" in dumped.stderr
    assert "Traceback" not in dumped.stderr
    out = _resume_fail_end(run_id, env)
    assert "running it again" in out


def test_resume_does_not_reuse_a_task_whose_blob_is_missing(gate):
    _, env = gate
    run_id = _fail_end_run(env)
    fresh_reads()
    sha = Run(f"FailEndFlow/{run_id}")["middle"].task["doubled"].sha
    os.unlink(os.path.join(local_root(), "FailEndFlow", "blobs", sha[:2], sha))
    out = _resume_fail_end(run_id, env)  # the new run's artifacts all read back (result == 42)
    assert "the stored value of doubled is missing" in out and "running it again" in out
    new = next(r["run_id"] for r in runs_of("FailEndFlow") if r["run_id"] != run_id)
    middle = Run(f"FailEndFlow/{new}")["middle"].task
    assert middle.origin_pathspec is None and middle.data.doubled == 40
