"""A virtual environment holding what the runtime image holds: the pinned requirements and the
sfncompile wheel built from a source tree, installed the way sfncompile/image/Dockerfile does.

Without a Docker engine this is the closest thing to the image: tests/image runs real tasks
from it, and benchmarks/aws_bench.py measures a task's start in it (no editable-install
finder, bytecode compiled by pip at install as in the image). The source tree may be this
checkout or another revision's exported tree; its own requirements file is installed. Needs
PyPI for the pinned packages (pip's cache is used when it works); everything written stays
under ``work``.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional

# What the wheel is built from; copied so the build leaves nothing in the source tree.
PROJECT_FILES = ("pyproject.toml", "README.md", "LICENSE", "setup.cfg", "MANIFEST.in")
REQUIREMENTS = Path("sfncompile") / "image" / "requirements.txt"


@dataclass(frozen=True)
class Venv:
    root: Path
    bin: Path
    pip: List[str]  # the pip command that installs into (and checks) this venv
    wheel: Path  # the wheel it was installed from
    botocore_data: Path  # the small botocore data directory the Dockerfile builds after the wheel


def run(command: List[str], env: Dict[str, str], cwd: Path, timeout: int = 600) -> subprocess.CompletedProcess:
    """``command``'s result; its output's tail in the error when it fails."""
    result = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} exited {result.returncode}\n{result.stdout[-3000:]}\n"
                           f"{result.stderr[-3000:]}")
    return result


def clean_env(base: Optional[Dict[str, str]] = None) -> Dict[str, str]:
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


def install_wheel_venv(source_root: Path, work: Path) -> Venv:
    """Build ``source_root``'s wheel and install it, after its pinned requirements, into ``work/venv``.

    The wheel build runs while the venv is created and the pinned requirements are
    installed (the slow parts, independent of each other). The venv gets no pip of
    its own when this interpreter's pip can install into it (``pip --python``):
    ensurepip is most of the cost of a fresh venv, and pip is not part of what the
    image runs. pip's cache is left on (the Dockerfile's --no-cache-dir is for the
    image's size, not for what is installed).
    """
    env = clean_env()
    env.update(PIP_DISABLE_PIP_VERSION_CHECK="1", PIP_NO_INPUT="1")

    source = work / "src"
    source.mkdir(parents=True)
    for name in PROJECT_FILES:
        if (source_root / name).exists():
            shutil.copy2(source_root / name, source / name)
    shutil.copytree(
        source_root / "sfncompile", source / "sfncompile",
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
            run([sys.executable, "-m", "venv", "--without-pip", str(venv)], env, work)
            pip = [sys.executable, "-m", "pip", "--python", python]
        else:
            run([sys.executable, "-m", "venv", str(venv)], env, work)
            pip = [python, "-m", "pip"]
        # The Dockerfile's steps, in its order.
        run([*pip, "install", "-r", str(source_root / REQUIREMENTS)], env, work)
        build.wait(timeout=600)
    finally:
        if build.poll() is None:
            build.kill()
            build.wait()
    if build.returncode != 0:
        raise RuntimeError(f"building the wheel of {source_root} failed\n{build_log.read_text()[-3000:]}")
    wheels = sorted(dist.glob("sfncompile-*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one sfncompile wheel in {dist}, found {wheels}")
    run([*pip, "install", "--no-deps", str(wheels[0])], env, work)
    botocore_data = work / "botocore-data"
    run([python, "-m", "sfncompile.storage.botocore_data", str(botocore_data)], env, work)
    return Venv(root=venv, bin=venv / "bin", pip=pip, wheel=wheels[0], botocore_data=botocore_data)


def container_env(venv: Venv, base: Dict[str, str], tmp: Path, **settings: str) -> Dict[str, str]:
    """What a Batch job's container of the image has: ``base`` (the emulator's AWS_* variables)
    without anything steering Python to a checkout, the image's ENV, $TMPDIR and $HOME in
    ``tmp`` (created; the code package is unpacked under $TMPDIR/sfncompile-code), then
    ``settings`` (the job definition's environment)."""
    tmp.mkdir(exist_ok=True)
    env = clean_env(base)
    env.update(
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONUNBUFFERED="1",
        PATH=f"{venv.bin}{os.pathsep}{os.environ['PATH']}",
        TMPDIR=str(tmp),
        HOME=str(tmp),
        SFNCOMPILE_BOTOCORE_DATA=str(venv.botocore_data),
    )
    env.update(settings)
    return env
