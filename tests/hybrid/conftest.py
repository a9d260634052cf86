"""Hybrid runs on emulated AWS: the real CLI in a subprocess orchestrates, Batch jobs run the real
`sfncompile task` as local subprocesses (tests/support), S3 and DynamoDB are moto's."""
from __future__ import annotations

import os
import subprocess
import sys
from typing import Dict, List

import pytest

from ..conftest import ROOT

HYBRID_FLOWS = os.path.join(ROOT, "tests", "hybrid", "flows")


class Hybrid:
    def __init__(self, server, env: Dict[str, str], workdir: str) -> None:
        self.server = server
        self.env = env
        self.workdir = workdir

    def command(self, *args: str) -> List[str]:
        return [sys.executable, "-m", "sfncompile", *args]

    def cli(self, *args: str, expect: int = 0, timeout: float = 240, **env: str) -> subprocess.CompletedProcess:
        out = subprocess.run(self.command(*args), env={**self.env, **env}, cwd=self.workdir, capture_output=True,
                             text=True, timeout=timeout)
        if out.returncode != expect:
            raise AssertionError(f"sfncompile {' '.join(args)} exited {out.returncode}, not {expect}\n"
                                 f"{out.stdout}\n{out.stderr}")
        return out

    def start(self, *args: str, **env: str) -> subprocess.Popen:
        return subprocess.Popen(self.command(*args), env={**self.env, **env}, cwd=self.workdir,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def jobs(self):
        return self.server.batch_jobs()


@pytest.fixture
def hybrid(aws_config_file, aws_subprocess_env, aws_environ, moto_aws, tmp_path, monkeypatch):
    """The emulated stack configured; the CLI runs from an empty directory (no local store around)."""
    from sfncompile.aws.session import reset_clients
    from sfncompile.client import backend
    from sfncompile.storage.factory import reset_stores

    reset_clients()
    reset_stores()
    backend.reset()
    env = dict(aws_subprocess_env)
    env["PYTHONPATH"] = ROOT
    env["SFNCOMPILE_USERNAME"] = "alice"
    for name in ("SFNCOMPILE_DATASTORE", "SFNCOMPILE_METADATA", "SFNCOMPILE_ROOT", "SFNCOMPILE_NAMESPACE"):
        env.pop(name, None)
    workdir = tmp_path / "work"
    workdir.mkdir()
    yield Hybrid(moto_aws, env, str(workdir))
    backend.reset()
    reset_stores()


def read_run(flow: str, run_id: str):
    """The run as a client in this process reads it (through the config file)."""
    from sfncompile import Run, namespace
    from sfncompile.client import backend

    backend.reset()
    namespace(None)
    return Run(f"{flow}/{run_id}")

