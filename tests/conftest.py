"""Shared test setup: every test runs with its own local store root and no AWS config."""
from __future__ import annotations

import os
import sys

import pytest

pytest_plugins = ["tests.support.fixtures", "tests.support.browser"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")
FLOWS = os.path.join(ROOT, "tests", "flows")


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path, monkeypatch):
    """No test reads the developer's config or writes into the working tree."""
    monkeypatch.setenv("SFNCOMPILE_ROOT", str(tmp_path / "store"))
    monkeypatch.setenv("SFNCOMPILE_CONFIG", str(tmp_path / "config.json"))
    monkeypatch.setenv("SFNCOMPILE_USERNAME", "tester")
    for var in ("SFNCOMPILE_DATASTORE", "SFNCOMPILE_METADATA", "AWS_PROFILE"):
        monkeypatch.delenv(var, raising=False)
    yield


@pytest.fixture
def sfncompile_cmd():
    """The CLI as a subprocess command prefix (the real entry point, this interpreter)."""
    return [sys.executable, "-m", "sfncompile"]


@pytest.fixture(params=["fork", "spawn"])
def start_method(request, monkeypatch):
    """Run the test with each task start method (fork: the Linux default; spawn: the macOS default)."""
    monkeypatch.setenv("SFNCOMPILE_START_METHOD", request.param)
    return request.param
