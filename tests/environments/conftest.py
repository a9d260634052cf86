"""Environments tests resolve and install from PyPI for real (small pure-Python packages).

One cache directory serves the whole session, so locks and built environments are
reused across tests the way they are across a user's runs.
"""
from __future__ import annotations

import os

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
FLOWS = os.path.join(HERE, "flows")


@pytest.fixture(scope="session")
def env_cache(tmp_path_factory) -> str:
    return str(tmp_path_factory.mktemp("sfncompile-cache"))


@pytest.fixture(autouse=True)
def _env_cache(env_cache, monkeypatch):
    monkeypatch.setenv("SFNCOMPILE_CACHE_DIR", env_cache)
    yield env_cache


def flow_file(*parts: str) -> str:
    return os.path.join(FLOWS, *parts)
