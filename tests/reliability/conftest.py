"""Every reliability test gets a gate file and the environment that names it."""
from __future__ import annotations

import os

import pytest


@pytest.fixture
def gate(tmp_path):
    """(gate path, env): flows wait while the gate exists; removing it lets them finish."""
    path = tmp_path / "gate"
    path.touch()
    env = dict(os.environ, RELIABILITY_GATE=str(path), RELIABILITY_FAIL=str(tmp_path / "fail"))
    return path, env

