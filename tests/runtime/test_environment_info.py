"""What an attempt records about where it ran, without a subprocess."""
from __future__ import annotations

import platform
import subprocess
import sys

import pytest

from sfncompile.runtime.environment_info import attempt_info, platform_name


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the subprocess-free path is Linux's")
def test_the_platform_is_platform_platforms_string_without_running_uname():
    # A fresh interpreter: the platform module caches what it ran, so this process cannot tell.
    probe = (
        "import subprocess\n"
        "def refuse(*args, **kwargs): raise SystemExit(f'a subprocess was started: {args}')\n"
        "subprocess.Popen = refuse\n"
        "from sfncompile.runtime.environment_info import platform_name\n"
        "print(platform_name())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == platform.platform()


def test_an_attempt_records_interpreter_platform_and_host():
    info = attempt_info(production=True, env={"AWS_BATCH_JOB_ID": "job-1", "SFNCOMPILE_CODE_SHA256": ""})
    assert info["runtime"] == "sfn" and info["aws_batch_job_id"] == "job-1"
    assert "code_sha256" not in info  # empty values are left out
    assert info["platform"] == platform_name() and info["python_version"] == platform.python_version()
