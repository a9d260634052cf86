"""The wheel installs the way the Dockerfile installs it, and the task command runs.

Without a Docker engine this is the closest check of the image: build the project
wheel, make a fresh virtual environment, install ``runtime_image/requirements.txt``
then the wheel with ``--no-deps`` (the Dockerfile's two steps), and run
``sfncompile task --help`` directly and through the image's entrypoint script.
Needs PyPI for the pinned packages; everything it writes stays in tmp_path.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REQUIREMENTS = REPO_ROOT / "runtime_image" / "requirements.txt"
ENTRYPOINT = REPO_ROOT / "runtime_image" / "entrypoint.sh"

# What the wheel is built from; copied so the build leaves nothing in the repository.
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "MANIFEST.in")


def _run(command: List[str], env: Dict[str, str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}"
    return result


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A venv holding exactly what the runtime image holds; returns its bin directory."""
    work = tmp_path_factory.mktemp("wheel")
    env = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("PIP_", "PYTHON", "VIRTUAL_ENV"))
    }
    env.update(PIP_NO_CACHE_DIR="1", PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")

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
    _run([sys.executable, "-m", "build", "--wheel", "--outdir", str(dist), str(source)], env, work)
    wheels = sorted(dist.glob("sfncompile-*.whl"))
    assert len(wheels) == 1, wheels

    venv = work / "venv"
    _run([sys.executable, "-m", "venv", str(venv)], env, work)
    python = str(venv / "bin" / "python")
    # The Dockerfile's steps, in its order.
    _run([python, "-m", "pip", "install", "-r", str(REQUIREMENTS)], env, work)
    _run([python, "-m", "pip", "install", "--no-deps", str(wheels[0])], env, work)
    return venv / "bin"


@pytest.mark.slow
def test_pinned_requirements_satisfy_the_wheel(installed: Path) -> None:
    result = _run([str(installed / "python"), "-m", "pip", "check"], dict(os.environ), installed)
    assert "No broken requirements found" in result.stdout


@pytest.mark.slow
def test_task_command_help_runs_from_the_installed_wheel(installed: Path) -> None:
    result = _run([str(installed / "sfncompile"), "task", "--help"], dict(os.environ), installed)
    assert "--run-id" in result.stdout
    assert "--task-id" in result.stdout
    assert "--attempt" in result.stdout


@pytest.mark.slow
def test_entrypoint_runs_the_batch_command_against_the_installed_wheel(installed: Path) -> None:
    env = {**os.environ, "PATH": f"{installed}{os.pathsep}{os.environ['PATH']}"}
    result = _run([str(ENTRYPOINT), "sfncompile", "task", "--help"], env, installed)
    assert "--run-id" in result.stdout
