"""Environments on emulated AWS: deploy uploads wheels, Batch jobs bootstrap offline; image digests.

Batch jobs are local subprocesses running the real ``sfncompile task`` (tests/support).
The job definition points uv's and pip's index at a closed localhost port, so a job
that tried to reach PyPI would fail: the environment must come from S3 alone.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from sfncompile.compiler import jobparams

from tests.support.aws_resources import BUCKET, DATASTORE_PREFIX, ECR_REPOSITORY, create_stack, write_config

from .conftest import flow_file

CLOSED_INDEX = "http://127.0.0.1:9/simple/"  # port 9 (discard): nothing listens there


@pytest.fixture
def stage(moto_aws, tmp_path, monkeypatch, env_cache):
    """An emulated stage whose Batch jobs have their own caches and no reachable package index."""
    from sfncompile.aws.session import reset_clients
    from sfncompile.client import backend

    reset_clients()
    backend.reset()
    job_cache = tmp_path / "container-cache"
    job_env = {
        "SFNCOMPILE_CACHE_DIR": str(job_cache),
        "UV_CACHE_DIR": str(tmp_path / "container-uv-cache"),
        "UV_INDEX_URL": CLOSED_INDEX,
        "UV_DEFAULT_INDEX": CLOSED_INDEX,
        "PIP_INDEX_URL": CLOSED_INDEX,
    }

    class Stage:
        server = moto_aws
        cache = str(job_cache)

        def __init__(self, push_image: bool = True) -> None:
            config = create_stack(moto_aws, job_definition_environment=job_env, push_image=push_image)
            self.config = config
            self.config_path = str(write_config(config, tmp_path / "config.json"))
            monkeypatch.setenv("SFNCOMPILE_CONFIG", self.config_path)
            for name, value in moto_aws.env.items():
                monkeypatch.setenv(name, value)

        def cli(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
            env = moto_aws.subprocess_env(SFNCOMPILE_CONFIG=self.config_path, SFNCOMPILE_CACHE_DIR=env_cache)
            out = subprocess.run([sys.executable, "-m", "sfncompile", *args], env=env, capture_output=True,
                                 text=True, timeout=300)
            if check and out.returncode != 0:
                raise AssertionError(f"sfncompile {' '.join(args)} exited {out.returncode}\n{out.stdout}\n{out.stderr}")
            return out

        def env_objects(self):
            s3 = moto_aws.client("s3")
            versions = s3.list_object_versions(Bucket=BUCKET, Prefix=f"{DATASTORE_PREFIX}/envs/").get("Versions", [])
            return sorted((v["Key"], v["VersionId"]) for v in versions)

    yield Stage
    backend.reset()


@pytest.mark.slow
def test_two_environments_bootstrap_from_s3_offline_and_redeploy_uploads_nothing(stage):
    aws = stage()
    path = flow_file("two_envs.py")
    deployed = aws.cli("deploy", path)
    assert deployed.stdout.count("uploaded environment") == 2, deployed.stdout
    objects = aws.env_objects()
    wheels = [key for key, _ in objects if "/envs/wheels/" in key]
    assert sorted(os.path.basename(k) for k in wheels) == ["idna-3.6-py3-none-any.whl", "idna-3.7-py3-none-any.whl"]

    out = aws.cli("trigger", "TwoEnvsFlow", "--wait", "--poll", "0.2", check=False)
    run_id = out.stdout.split("started TwoEnvsFlow/", 1)[1].split()[0]
    assert f"TwoEnvsFlow/{run_id}: SUCCEEDED" in out.stdout, out.stdout + out.stderr

    from sfncompile import Run, namespace

    namespace(None)
    seen = Run(f"TwoEnvsFlow/{run_id}")["join"].task.data.by_step
    assert seen["old"]["idna"] == "3.6" and seen["new"]["idna"] == "3.7"
    for step in ("old", "new"):
        assert seen[step]["prefix"].startswith(os.path.join(aws.cache, "envs")), seen[step]

    jobs = {j.parameters[jobparams.STEP]: j for j in aws.server.batch_jobs()}
    for step in ("old", "new"):
        job = jobs[step]
        assert job.command[-2] == "--environment" and len(job.command[-1]) == 64, job.command
        assert job.environment["UV_INDEX_URL"] == CLOSED_INDEX and job.environment["PIP_INDEX_URL"] == CLOSED_INDEX
        assert "building environment" in job.stderr, job.stderr
    assert "--environment" not in jobs["start"].command and "--environment" not in jobs["join"].command

    again = aws.cli("deploy", path)
    assert "unchanged" in again.stdout, again.stdout
    assert "uploaded" not in again.stdout + again.stderr
    assert aws.env_objects() == objects  # not one object (or new version) written under envs/


@pytest.mark.slow
def test_deploy_registers_job_definitions_with_the_image_digest(stage):
    aws = stage()
    aws.cli("deploy", flow_file("two_envs.py"))
    ecr, batch = aws.server.client("ecr"), aws.server.client("batch")
    digest = ecr.describe_images(repositoryName=ECR_REPOSITORY, imageIds=[{"imageTag": "latest"}])[
        "imageDetails"][0]["imageDigest"]
    repo_uri = aws.config["image"].rsplit(":", 1)[0]
    definitions = batch.describe_job_definitions(jobDefinitionName="sfncompile-test-TwoEnvsFlow",
                                                 status="ACTIVE")["jobDefinitions"]
    assert [d["containerProperties"]["image"] for d in definitions] == [f"{repo_uri}@{digest}"]


@pytest.mark.slow
def test_deploy_without_an_image_says_how_to_build_one(stage):
    aws = stage(push_image=False)
    out = aws.cli("deploy", flow_file("two_envs.py"), check=False)
    assert out.returncode == 1
    assert f"no runtime image {ECR_REPOSITORY}:latest in ECR" in out.stderr, out.stderr
    assert "sfncompile image push" in out.stderr
    assert "Traceback" not in out.stderr


@pytest.mark.slow
def test_hybrid_run_with_batch_bootstraps_the_environments_in_the_jobs(stage):
    aws = stage()
    out = aws.cli("run", flow_file("two_envs.py"), "--with", "batch")
    assert out.stdout.count("uploaded 1 of 1 wheels") == 2 and "SUCCEEDED" in out.stdout, out.stdout
    assert "for step old" not in out.stdout and "for step new" not in out.stdout  # not built on this machine
    jobs = {j.parameters[jobparams.STEP]: j for j in aws.server.batch_jobs()}
    assert sorted(jobs) == ["end", "join", "new", "old", "start"]
    for step in ("old", "new"):
        assert jobs[step].command[-2] == "--environment" and len(jobs[step].command[-1]) == 64, jobs[step].command
        assert "building environment" in jobs[step].stderr, jobs[step].stderr
    assert "--environment" not in jobs["start"].command
    run_id = jobs["start"].parameters[jobparams.RUN]
    from sfncompile import Run, namespace

    namespace(None)
    seen = Run(f"TwoEnvsFlow/{run_id}")["join"].task.data.by_step
    assert seen["old"]["idna"] == "3.6" and seen["new"]["idna"] == "3.7"
    assert seen["old"]["prefix"].startswith(os.path.join(aws.cache, "envs")), seen
