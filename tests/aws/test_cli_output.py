"""What the AWS commands print: deploy once per action, trigger --wait progress, console URLs,
failing tasks by pathspec, deployments with a header and --json, --profile/--config."""
from __future__ import annotations

import json
import os
import re

import pytest

from ..conftest import FLOWS
from .test_end_to_end import AWS_FLOWS, aws  # noqa: F401 - the emulated stack fixture


@pytest.mark.slow
def test_deploy_trigger_wait_show_output(aws, tmp_path):  # noqa: F811
    deployed = aws.cli("deploy", os.path.join(AWS_FLOWS, "failing.py"))
    text = deployed.stdout + deployed.stderr
    assert text.count("state machine") == 1 and "created state machine" in text  # each action once
    assert text.count("code package") == 1
    assert re.search(r"Step Functions per run, 10 items per foreach: \d+ state transitions, \d+ Batch jobs, "
                     r"about \$\d+\.\d+ \(Standard workflow", deployed.stderr), deployed.stderr
    out = aws.cli("trigger", "FailingFlow", "--wait", "--poll", "0.2", check=False)
    assert out.returncode == 1
    run_id = out.stdout.split("started FailingFlow/", 1)[1].split()[0]
    assert re.search(r"console: https://us-east-1\.console\.aws\.amazon\.com/states/home\?region=us-east-1"
                     r"#/v2/executions/details/arn:aws:states:us-east-1:\d+:execution:", out.stderr), out.stderr
    progress = [line for line in out.stderr.splitlines() if " done, " in line]
    assert progress and re.match(r"\d+\.\d s (RUNNING|FAILED): \d+ done, \d+ failed, \d+ running \| ", progress[-1])
    assert "FAILED: 1 done, 1 failed, 0 running | start done, explode failed" in progress[-1], progress
    assert f"failed: FailingFlow/{run_id}/explode/0: see `sfncompile logs FailingFlow/{run_id}/explode/0 --stderr`" \
        in out.stderr
    shown = aws.cli("show", f"FailingFlow/{run_id}").stdout
    assert "console:   https://us-east-1.console.aws.amazon.com/states/home" in shown


@pytest.mark.slow
def test_deployments_header_json_and_config_option(aws, tmp_path):  # noqa: F811
    aws.cli("deploy", os.path.join(FLOWS, "linear.py"))
    listed = aws.cli("deployments").stdout.splitlines()
    assert listed[0].split() == ["FLOW", "STATE", "MACHINE", "SCHEDULE", "CREATED"]
    assert listed[1].startswith("LinearFlow ")
    rows = json.loads(aws.cli("deployments", "--json").stdout)
    assert [r["flow"] for r in rows] == ["LinearFlow"] and rows[0]["state_machine"].endswith("LinearFlow")
    profile = aws.cli("deployments", "--profile", "no-such-profile", check=False)
    assert profile.returncode == 1 and "AWS profile 'no-such-profile' is not configured" in profile.stderr
    missing = aws.cli("deployments", "--config", str(tmp_path / "nope.json"), check=False)
    assert missing.returncode == 1 and f"no AWS configuration at {tmp_path / 'nope.json'}" in missing.stderr
