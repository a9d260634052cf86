"""Config file schema and mapping from stack outputs; deterministic code packages."""
from __future__ import annotations

import json
import os

import pytest

from sfncompile.aws import config as cfg
from sfncompile.aws.package import build_package
from sfncompile.runtime.code_package import extract_package
from sfncompile.exceptions import ConfigError, IntegrityError

OUTPUTS = {
    "DatastoreBucketName": "my-bucket",
    "DatastorePrefix": "sfncompile",
    "MetadataTableName": "my-table",
    "JobQueueArn": "arn:aws:batch:us-east-1:123456789012:job-queue/q",
    "JobDefinitionArn": "arn:aws:batch:us-east-1:123456789012:job-definition/jd:1",
    "JobRoleArn": "arn:aws:iam::123456789012:role/job",
    "ExecutionRoleArn": "arn:aws:iam::123456789012:role/exec",
    "StateMachineRoleArn": "arn:aws:iam::123456789012:role/sfn",
    "SchedulerRoleArn": "arn:aws:iam::123456789012:role/sched",
    "BatchLogGroupName": "/sfncompile/dev/batch",
    "StateMachineLogGroupArn": "arn:aws:logs:us-east-1:123456789012:log-group:/sfncompile/dev/sfn:*",
    "RuntimeImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/sfncompile:latest",
    "StateMachinePrefix": "sfncompile-dev-",
}


def test_outputs_map_to_a_valid_config(tmp_path):
    config = cfg.from_stack_outputs(OUTPUTS, stack="sfncompile-dev", region="us-east-1")
    assert config["bucket"] == "my-bucket" and config["state_machine_prefix"] == "sfncompile-dev-"
    path = cfg.save_config(config, str(tmp_path / "c.json"))
    assert cfg.load_config(path) == config
    assert cfg.datastore_url(config) == "s3://my-bucket/sfncompile"


def test_missing_output_is_named():
    outputs = dict(OUTPUTS)
    del outputs["MetadataTableName"]
    with pytest.raises(ConfigError, match="has no output\\(s\\) MetadataTableName"):
        cfg.from_stack_outputs(outputs, stack="s", region="us-east-1")


def test_missing_config_says_how_to_get_one(tmp_path):
    with pytest.raises(ConfigError) as info:
        cfg.load_config(str(tmp_path / "none.json"))
    assert "cdk deploy" in str(info.value) and "sfncompile configure --stack" in str(info.value)


def test_invalid_config_names_the_key(tmp_path):
    config = cfg.from_stack_outputs(OUTPUTS, stack="s", region="us-east-1")
    config["job_role_arn"] = "not-an-arn"
    path = tmp_path / "c.json"
    path.write_text(json.dumps(config))
    with pytest.raises(ConfigError, match="job_role_arn"):
        cfg.load_config(str(path))


def test_code_package_is_deterministic_and_verified(tmp_path):
    src = tmp_path / "proj"
    (src / "pkg").mkdir(parents=True)
    (src / "flow.py").write_text("print('flow')\n")
    (src / "pkg" / "util.py").write_text("X = 1\n")
    (src / "__pycache__").mkdir()
    (src / "__pycache__" / "junk.pyc").write_bytes(b"\0")
    first = build_package(str(src / "flow.py"))
    os.utime(src / "flow.py", (0, 12345))  # mtimes do not matter
    second = build_package(str(src / "flow.py"))
    assert first.data == second.data and first.sha256 == second.sha256
    assert first.files == ("flow.py", os.path.join("pkg", "util.py")) and first.flow_file == "flow.py"
    out = extract_package(first.data, first.sha256, str(tmp_path / "unpacked"))
    assert open(os.path.join(out, "pkg", "util.py")).read() == "X = 1\n"
    (src / "flow.py").write_text("print('changed')\n")
    assert build_package(str(src / "flow.py")).sha256 != first.sha256
    with pytest.raises(IntegrityError, match="hash mismatch"):
        extract_package(first.data[:-1] + b"x", first.sha256, str(tmp_path / "bad"))
