"""The wheel installs the way the Dockerfile installs it, and real tasks run from it.

Without a Docker engine this is the closest check of the image: build the project
wheel, make a fresh virtual environment, install ``sfncompile/image/requirements.txt``
then the wheel with ``--no-deps`` (the Dockerfile's two steps), and run
``sfncompile task --help`` directly and through the image's entrypoint script. Then
run a real flow's tasks (start, end) with that venv's ``sfncompile`` against the
emulated S3 and DynamoDB of tests/support (a moto server in this pytest process,
reached through ``AWS_ENDPOINT_URL``), once from a flow file and once from a code
package uploaded the way ``sfncompile deploy`` uploads it, and read the result back
with the repository's client.

The venv is built once per module. Its processes never see the repository: the
environment has no PYTHON* variables and they run in a directory outside it, and
the flow itself records which ``sfncompile`` it imported. Needs PyPI for the pinned
packages (pip's cache is used when it works); everything written stays in tmp dirs.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import zipfile
from pathlib import Path
from typing import Dict, List

import pytest

from tests.support.wheel_venv import Venv, clean_env, container_env, install_wheel_venv, run

REPO_ROOT = Path(__file__).resolve().parents[2]
ENTRYPOINT = REPO_ROOT / "sfncompile" / "image" / "entrypoint.sh"

RUN_ID = "sfn-wheeltest"
FLOW = "WheelTestFlow"

# start sets artifacts -> end derives one; `greeting` is a module beside the flow file,
# so the code package must carry it and its unpacked directory must be importable.
FLOW_SOURCE = '''\
"""A two-step flow for the installed-wheel test."""
import sys

import sfncompile
from sfncompile import FlowSpec, step

from greeting import GREETING


class WheelTestFlow(FlowSpec):
    @step
    def start(self):
        self.message = f"{GREETING}, wheel"
        self.runtime = {"sfncompile": sfncompile.__file__, "python": sys.executable}
        self.next(self.end)

    @step
    def end(self):
        self.shout = self.message.upper()
'''
GREETING_SOURCE = 'GREETING = "hello"\n'


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A venv holding exactly what the runtime image holds (built once for the module)."""
    return install_wheel_venv(REPO_ROOT, tmp_path_factory.mktemp("wheel"))


@pytest.mark.slow
def test_pinned_requirements_satisfy_the_wheel(installed: Venv) -> None:
    result = run([*installed.pip, "check"], clean_env(), installed.root)
    assert "No broken requirements found" in result.stdout


@pytest.mark.slow
def test_wheel_ships_its_license_type_marker_and_one_version(installed: Venv) -> None:
    """SPDX license and its text, py.typed, and the version the package itself reports."""
    import sfncompile

    with zipfile.ZipFile(installed.wheel) as wheel:
        names = wheel.namelist()
        metadata_name = next(n for n in names if n.endswith(".dist-info/METADATA"))
        metadata = wheel.read(metadata_name).decode()
        license_text = wheel.read(metadata_name.replace("METADATA", "licenses/LICENSE")).decode()
    assert "sfncompile/py.typed" in names
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert "Apache License" in license_text and "Version 2.0" in license_text
    assert f"Version: {sfncompile.__version__}" in metadata.splitlines()
    result = run([str(installed.bin / "sfncompile"), "--version"], clean_env(), installed.root)
    assert sfncompile.__version__ in result.stdout


@pytest.mark.slow
def test_task_command_help_runs_from_the_installed_wheel(installed: Venv) -> None:
    result = run([str(installed.bin / "sfncompile"), "task", "--help"], clean_env(), installed.root)
    assert "--run-id" in result.stdout
    assert "--task-id" in result.stdout
    assert "--attempt" in result.stdout


@pytest.mark.slow
def test_entrypoint_runs_the_batch_command_against_the_installed_wheel(installed: Venv) -> None:
    env = {**clean_env(), "PATH": f"{installed.bin}{os.pathsep}{os.environ['PATH']}"}
    result = run([str(ENTRYPOINT), "sfncompile", "task", "--help"], env, installed.root)
    assert "--run-id" in result.stdout


# -- real tasks against the emulated S3 / DynamoDB -------------------------------------------


@pytest.fixture
def stack(aws_stack, aws_config_file, aws_environ):
    """The emulated stack; this process's client and stores read it through the config file."""
    from sfncompile.aws.session import reset_clients
    from sfncompile.client import backend
    from sfncompile.storage.factory import reset_stores

    def reset() -> None:
        reset_clients()
        reset_stores()
        backend.reset()

    reset()
    yield aws_stack
    reset()


@pytest.fixture
def flow_dir(tmp_path: Path) -> Path:
    """The flow's own directory (a code package holds the flow file's whole directory)."""
    directory = tmp_path / "flowsrc"
    directory.mkdir()
    (directory / "flow.py").write_text(FLOW_SOURCE)
    (directory / "greeting.py").write_text(GREETING_SOURCE)
    return directory


def _task_env(installed: Venv, aws_subprocess_env: Dict[str, str], stack: Dict[str, str], tmp: Path,
              **settings: str) -> Dict[str, str]:
    """What the Batch job's container has: the stores, the emulator's AWS_* and the image's env."""
    env = container_env(installed, aws_subprocess_env, tmp, **{
        "SFNCOMPILE_DATASTORE": f"s3://{stack['bucket']}/{stack['prefix']}",
        "SFNCOMPILE_METADATA": f"dynamodb:{stack['table']}",
        "SFNCOMPILE_USERNAME": "batch",
        **settings,
    })
    assert env["AWS_ENDPOINT_URL"].startswith("http://127.0.0.1:")
    return env


def _run_tasks(command: List[str], env: Dict[str, str], cwd: Path) -> List[subprocess.CompletedProcess]:
    """start then end, as the state machine would submit them."""
    cwd.mkdir(exist_ok=True)
    assert REPO_ROOT not in cwd.resolve().parents and cwd.resolve() != REPO_ROOT
    results = []
    for step, extra in (("start", ["--params-json", "{}"]), ("end", [])):
        args = [*command, "task", step, "--run-id", RUN_ID, "--task-id", "0", "--attempt", "0", *extra]
        result = subprocess.run(args, env=env, cwd=cwd, capture_output=True, text=True, timeout=120)
        assert result.returncode == 0, f"{step}: exit {result.returncode}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
        results.append(result)
    return results


def _assert_run_read_back(installed: Venv) -> None:
    """The repository's client, in this process, sees the run the installed wheel wrote."""
    from sfncompile import Run, namespace

    namespace(None)
    run = Run(f"{FLOW}/{RUN_ID}")
    assert run.status == "SUCCEEDED"
    assert run.successful and run.finished
    end = run["end"].task
    assert end.successful
    assert end.data.shout == "HELLO, WHEEL"
    assert end.data.message == "hello, wheel"  # start's artifact, carried to end
    runtime = run["start"].task.data.runtime
    # The tasks ran the installed wheel, not the repository's sources.
    venv = os.path.realpath(installed.root)
    assert os.path.realpath(runtime["sfncompile"]).startswith(venv + os.sep), runtime
    assert runtime["python"] == str(installed.bin / "python"), runtime


@pytest.mark.slow
def test_installed_wheel_runs_tasks_from_a_flow_file_against_emulated_aws(
    installed: Venv, stack, aws_subprocess_env, flow_dir: Path, tmp_path: Path
) -> None:
    env = _task_env(installed, aws_subprocess_env, stack, tmp_path / "tmp",
                    SFNCOMPILE_FLOW_FILE=str(flow_dir / "flow.py"))
    _run_tasks([str(installed.bin / "sfncompile")], env, tmp_path / "cwd")
    _assert_run_read_back(installed)


@pytest.mark.slow
def test_installed_wheel_runs_a_deployed_code_package_through_the_entrypoint(
    installed: Venv, stack, aws_subprocess_env, flow_dir: Path, tmp_path: Path
) -> None:
    """What a Batch job of a deployed flow does: download, verify and unpack the code
    package named by the job definition's environment, then run the step from it."""
    from sfncompile.aws.jobdef import job_environment
    from sfncompile.aws.package import build_package
    from sfncompile.storage.factory import open_stores

    datastore = f"s3://{stack['bucket']}/{stack['prefix']}"
    metadata = f"dynamodb:{stack['table']}"
    package = build_package(str(flow_dir / "flow.py"))
    assert package.flow_file == "flow.py" and "greeting.py" in package.files
    artifacts = open_stores(datastore, metadata, region=stack["region"]).artifacts
    assert artifacts.put_code(FLOW, package.data) == package.sha256
    settings = job_environment(
        flow=FLOW,
        flow_file=package.flow_file,  # relative: only the unpacked package has it
        code_url=f"{datastore}/{artifacts.code_key(FLOW, package.sha256)}",
        code_sha=package.sha256,
        datastore=datastore,
        metadata=metadata,
    )
    shutil.rmtree(flow_dir)  # the task can only get the flow from S3
    tmp = tmp_path / "tmp"
    env = _task_env(installed, aws_subprocess_env, stack, tmp, **settings)

    # The job definition's command, through the image's entrypoint (`sfncompile` on PATH).
    _run_tasks([str(ENTRYPOINT), "sfncompile"], env, tmp_path / "cwd")

    unpacked = tmp / "sfncompile-code" / package.sha256
    assert (unpacked / ".complete").exists()
    assert (unpacked / "flow.py").read_text() == FLOW_SOURCE
    assert (unpacked / "greeting.py").read_text() == GREETING_SOURCE
    _assert_run_read_back(installed)
