"""Metaflow's run/resume options: --with, --run-id-file, --quiet, --max-num-splits, --datastore, resume STEP."""
from __future__ import annotations

import os

from .test_local_cli import EXAMPLES, LOCAL_FLOWS, _reset_client, run_id_of, sfn

HERE = os.path.dirname(os.path.abspath(__file__))
WITH_FLOW = os.path.join(HERE, "flows", "with_flow.py")


def test_with_attaches_decorators_to_every_step(tmp_path):
    id_file = tmp_path / "run-id"
    assert sfn("run", WITH_FLOW, check=False).returncode == 1  # no retry, no GREETING
    proc = sfn("run", WITH_FLOW, "--with", "retry:times=1,minutes_between_retries=0",
               "--with", 'environment:vars={"GREETING": "hi", "OTHER": "x"}', "--run-id-file", str(id_file), "--quiet")
    run_id = id_file.read_text()
    assert proc.stdout.strip() == f"WithFlow/{run_id} SUCCEEDED"
    _reset_client()
    from sfncompile import Run

    run = Run(f"WithFlow/{run_id}")
    assert run.successful and run["start"].task.data.greeting == "hi"
    assert run["start"].task.current_attempt == 1
    bad = sfn("run", WITH_FLOW, "--with", "schedule:cron=0", check=False)
    assert bad.returncode == 1 and "'schedule' cannot be attached" in bad.stderr and "retry, catch" in bad.stderr
    no_aws = sfn("run", WITH_FLOW, "--with", "batch:cpu=2", check=False,
                 env={**os.environ, "SFNCOMPILE_CONFIG": str(tmp_path / "none.json")})
    assert no_aws.returncode == 1 and "step 'start' (and 1 more) runs on AWS Batch" in no_aws.stderr
    assert "--local-only" in no_aws.stderr and "Traceback" not in no_aws.stderr
    unknown = sfn("run", WITH_FLOW, "--with", "retry:tims=2", check=False)
    assert unknown.returncode == 1 and "@retry got unknown argument(s) tims" in unknown.stderr


def test_resume_step_positional(tmp_path):
    flow = os.path.join(LOCAL_FLOWS, "resume_flow.py")
    counter = tmp_path / "count"
    env = {**os.environ, "RESUME_FLOW_COUNTER": str(counter), "RESUME_FLOW_FAIL": "1"}
    assert sfn("run", flow, env=env, check=False).returncode == 1
    counter.write_text("")
    env.pop("RESUME_FLOW_FAIL")
    proc = sfn("resume", flow, "join", env=env)
    assert "SUCCEEDED" in proc.stdout
    assert counter.read_text().split() == ["join", "train", "end"]


def test_max_num_splits_fails_a_wide_foreach():
    proc = sfn("run", os.path.join(EXAMPLES, "foreach.py"), "--width", "5", "--max-num-splits", "3", check=False)
    assert proc.returncode == 1
    assert "foreach in step 'start' made 5 splits, more than --max-num-splits 3" in proc.stdout + proc.stderr
    ok = sfn("run", os.path.join(EXAMPLES, "foreach.py"), "--width", "3", "--max-num-splits", "3")
    assert run_id_of(ok.stdout, "ForeachFlow")


def test_datastore_choice():
    assert run_id_of(sfn("run", os.path.join(EXAMPLES, "hello.py"), "--datastore", "local").stdout, "HelloFlow")
    proc = sfn("run", os.path.join(EXAMPLES, "hello.py"), "--datastore", "s3", check=False)
    assert proc.returncode == 1
    assert proc.stderr.count("\n") <= 2 and "no AWS configuration" in proc.stderr and "configure" in proc.stderr
