"""pytest fixtures for the emulated AWS (moto server in this process).

Use from a test module (or from the root conftest) with::

    pytest_plugins = ["tests.support.fixtures"]

Fixtures
--------
``moto_server`` (session)  the started :class:`~tests.support.moto_server.MotoServer`,
                           never reset - prefer ``moto_aws``.
``moto_aws``               the same server, reset for this test (empty backends, no jobs,
                           batch mode "subprocess" unless the test is marked
                           ``@pytest.mark.batch_mode("instant")``).
``moto_aws_instant``       ``moto_aws`` with batch mode "instant" (same as the marker, which
                           only registers cleanly when this plugin is loaded from a conftest).
``aws_stack``              ``moto_aws`` + the infra stack's resources; the config dict
                           (docs/internals.md "AWS configuration" keys).
``aws_config_file``        ``aws_stack`` written to ``$SFNCOMPILE_CONFIG`` (or
                           tmp_path/config.json, then exported as SFNCOMPILE_CONFIG);
                           returns the path.
``aws_environ``            puts the server's AWS_* variables into os.environ for this
                           test only (monkeypatch), for in-process boto3 code; returns them.
``aws_subprocess_env``     a dict for ``subprocess.run(env=...)``: os.environ + AWS_* of the
                           server (+ SFNCOMPILE_CONFIG when ``aws_config_file`` is used too).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Dict, Iterator

import pytest

from .aws_resources import create_stack, write_config

if TYPE_CHECKING:  # imported when a test asks for the emulator, so tests without it need no moto
    from .moto_server import MotoServer


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        'batch_mode(mode): "subprocess" (default: run each Batch job\'s command) or '
        '"instant" (record the job and succeed without running anything)',
    )


@pytest.fixture(scope="session")
def moto_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MotoServer]:
    from .moto_server import MotoServer

    server = MotoServer(workdir=str(tmp_path_factory.mktemp("moto"))).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def moto_aws(moto_server: MotoServer, request: pytest.FixtureRequest) -> Iterator[MotoServer]:
    moto_server.reset()
    marker = request.node.get_closest_marker("batch_mode")
    if marker is not None:
        moto_server.set_batch_mode(marker.args[0])
    try:
        yield moto_server
    finally:
        # Leave nothing running into the next test (its reset() would do it too, but a
        # job subprocess should not outlive its test even when it is the last one).
        moto_server.batch.clear()


@pytest.fixture
def moto_aws_instant(moto_aws: MotoServer) -> MotoServer:
    moto_aws.set_batch_mode("instant")
    return moto_aws


@pytest.fixture
def aws_stack(moto_aws: MotoServer) -> Dict[str, str]:
    return create_stack(moto_aws)


@pytest.fixture
def aws_config_file(aws_stack: Dict[str, str], tmp_path, monkeypatch: pytest.MonkeyPatch):
    path = os.environ.get("SFNCOMPILE_CONFIG") or str(tmp_path / "config.json")
    monkeypatch.setenv("SFNCOMPILE_CONFIG", path)
    return write_config(aws_stack, path)


@pytest.fixture
def aws_environ(moto_aws: MotoServer, monkeypatch: pytest.MonkeyPatch) -> Dict[str, str]:
    for var in ("AWS_PROFILE", "AWS_DEFAULT_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(var, raising=False)
    for name, value in moto_aws.env.items():
        monkeypatch.setenv(name, value)
    return dict(moto_aws.env)


@pytest.fixture
def aws_subprocess_env(moto_aws: MotoServer, request: pytest.FixtureRequest) -> Dict[str, str]:
    extra = {}
    if "aws_config_file" in request.fixturenames:
        extra["SFNCOMPILE_CONFIG"] = str(request.getfixturevalue("aws_config_file"))
    return moto_aws.subprocess_env(**extra)
