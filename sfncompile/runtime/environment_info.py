"""What an attempt records about where it ran (the client's ``Task.metadata`` and
``Task.environment_info`` read it back): interpreter, platform, host, sfncompile
version, the code package, and the AWS Batch job when there is one.
"""
from __future__ import annotations

import functools
import os
import platform
import sys
from typing import Any, Dict, Mapping

# Environment variables AWS Batch sets in every job container, recorded under these names.
_BATCH_VARIABLES = {
    "AWS_BATCH_JOB_ID": "aws_batch_job_id",
    "AWS_BATCH_JOB_ATTEMPT": "aws_batch_job_attempt",
    "AWS_BATCH_JQ_NAME": "aws_batch_job_queue",
    "AWS_BATCH_CE_NAME": "aws_batch_compute_environment",
}
# The deployed code package (set in the job definition by `sfncompile deploy`).
_CODE_VARIABLES = {
    "SFNCOMPILE_CODE_URL": "code_url",
    "SFNCOMPILE_CODE_SHA256": "code_sha256",
    "SFNCOMPILE_FLOW_FILE": "flow_file",
}


def attempt_info(production: bool, env: Mapping[str, str] = os.environ) -> Dict[str, Any]:
    """The ``info`` an attempt record keeps (JSON-able; absent values left out)."""
    info: Dict[str, Any] = {"pid": os.getpid(), "host": _host(), "runtime": "sfn" if production else "local"}
    info.update(process_constants())
    for variable, name in {**_BATCH_VARIABLES, **_CODE_VARIABLES}.items():
        if env.get(variable):
            info[name] = env[variable]
    return info


@functools.lru_cache(maxsize=None)
def process_constants() -> Dict[str, str]:
    """What cannot change in a process's lifetime, computed once (a template process calls this
    before it forks its tasks)."""
    from .. import __version__

    return {
        "python_version": platform.python_version(),
        "python_version_code": "%d.%d.%d" % sys.version_info[:3],
        "python_implementation": platform.python_implementation(),
        "platform": platform_name(),
        "executable": sys.executable,
        "sfncompile_version": __version__,
    }


def platform_name() -> str:
    """``platform.platform()``'s string without its ``uname -p`` subprocess on Linux (~3 ms of CPU
    and a fork of a process holding botocore, before every cloud task's user code): there that
    field is "unknown" or the machine, and ``platform.platform()`` leaves it out either way."""
    names = platform.uname()  # its processor field alone runs `uname -p`, and only when read
    if names.system != "Linux":
        return platform.platform()
    libc, version = platform.libc_ver()  # glibc asks confstr(): no file read, no subprocess
    parts = [names.system, names.release, names.machine] + (["with", libc + version] if libc else [])
    return "-".join(part.strip().replace(" ", "_").replace("/", "-") for part in parts if part.strip())


def _host() -> str:
    try:
        return os.uname().nodename
    except Exception:  # noqa: BLE001 - not every platform has uname
        return platform.node()
