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
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO_ROOT / "sfncompile" / "image" / "requirements.txt"
ENTRYPOINT = REPO_ROOT / "sfncompile" / "image" / "entrypoint.sh"

# What the wheel is built from; copied so the build leaves nothing in the repository.
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "MANIFEST.in")

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


@dataclass(frozen=True)
class Venv:
    root: Path
    bin: Path
    pip: List[str]  # the pip command that installs into (and checks) this venv
    wheel: Path  # the wheel it was installed from
    botocore_data: Path  # the small botocore data directory the Dockerfile builds after the wheel


def _run(command: List[str], env: Dict[str, str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


def _clean_env(base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
    """``base`` (default os.environ) without anything that would steer Python or pip to the repository."""
    return {
        key: value for key, value in (os.environ if base is None else base).items()
        if not key.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV", "SFNCOMPILE_"))
    }


def _host_pip_can_target() -> bool:
    """pip >= 22.3 installs into another interpreter's environment with ``--python``."""
    try:
        from pip import __version__
    except ImportError:
        return False
    try:
        major, minor = (int(part) for part in __version__.split(".")[:2])
    except ValueError:
        return False
    return (major, minor) >= (22, 3)


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Venv:
    """A venv holding exactly what the runtime image holds (built once for the module).

    The wheel build runs while the venv is created and the pinned requirements are
    installed (the slow parts, independent of each other). The venv gets no pip of
    its own when this interpreter's pip can install into it (``pip --python``):
    ensurepip is most of the cost of a fresh venv, and pip is not part of what the
    image runs. pip's cache is left on (the Dockerfile's --no-cache-dir is for the
    image's size, not for this test).
    """
    work = tmp_path_factory.mktemp("wheel")
    env = _clean_env()
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")

    source = work / "src"
    source.mkdir()
    for name in PROJECT_FILES:
        if (REPO_ROOT / name).exists():
            shutil.copy2(REPO_ROOT / name, source / name)
    shutil.copytree(
        REPO_ROOT / "sfncompile", source / "sfncompile",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.egg-info"),
    )
    dist = work / "dist"
    build_log = work / "build.log"
    with open(build_log, "w") as log:
        build = subprocess.Popen(
            [sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)],
            env=env, cwd=work, stdout=log, stderr=subprocess.STDOUT,
        )
    try:
        venv = work / "venv"
        python = str(venv / "bin" / "python")
        if _host_pip_can_target():
            _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env, work)
            pip = [sys.executable, "-m", "pip", "--python", python]
        else:
            _run([sys.executable, "-m", "venv", str(venv)], env, work)
            pip = [python, "-m", "pip"]
        # The Dockerfile's steps, in its order.
        _run([*pip, "install", "-r", str(REQUIREMENTS)], env, work)
        build.wait(timeout=600)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    assert build.returncode == 0, build_log.read_text()[-3000:]
    wheels = sorted(dist.glob("sfncompile-*.whl"))
    assert len(wheels) == 1, wheels
    _run([*pip, "install", "--no-deps", str(wheels[0])], env, work)
    botocore_data = work / "botocore-data"
    _run([python, "-m", "sfncompile.storage.botocore_data", str(botocore_data)], env, work)
    return Venv(root=venv, bin=venv / "bin", pip=pip, wheel=wheels[0], botocore_data=botocore_data)


@pytest.mark.slow
def test_pinned_requirements_satisfy_the_wheel(installed: Venv) -> None:
    result = _run([*installed.pip, "check"], _clean_env(), installed.root)
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
    result = _run([str(installed.bin / "sfncompile"), "--version"], _clean_env(), installed.root)
    assert sfncompile.__version__ in result.stdout


@pytest.mark.slow
def test_task_command_help_runs_from_the_installed_wheel(installed: Venv) -> None:
    result = _run([str(installed.bin / "sfncompile"), "task", "--help"], _clean_env(), installed.root)
    assert "--run-id" in result.stdout
    assert "--task-id" in result.stdout
    assert "--attempt" in result.stdout


@pytest.mark.slow
def test_entrypoint_runs_the_batch_command_against_the_installed_wheel(installed: Venv) -> None:
    env = {**_clean_env(), "PATH": f"{installed.bin}{os.pathsep}{os.environ['PATH']}"}
    result = _run([str(ENTRYPOINT), "sfncompile", "task", "--help"], env, installed.root)
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
    tmp.mkdir()
    env = _clean_env(aws_subprocess_env)
    env.update(
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PATH=f"{installed.bin}{os.pathsep}{os.environ['PATH']}",
        TMPDIR=str(tmp),  # the code package is unpacked under $TMPDIR/sfncompile-code
        HOME=str(tmp),
        SFNCOMPILE_DATASTORE=f"s3://{stack['bucket']}/{stack['prefix']}",
        SFNCOMPILE_METADATA=f"dynamodb:{stack['table']}",
        SFNCOMPILE_USERNAME="batch",
        SFNCOMPILE_BOTOCORE_DATA=str(installed.botocore_data),  # the image's ENV
    )
    env.update(settings)
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
