"""`sfncompile image build|push` from an installation (no Docker engine here: a stand-in records its calls)."""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import zipfile

import pytest

from sfncompile.aws.images import pin_image
from sfncompile.image.build import pack_installed_wheel
from sfncompile.image.context import BUILD_FILES, dockerfile_text, runtime_requirements

FAKE_DOCKER = """#!/bin/sh
# Records each call and, for `build`, the files of the build context (its last argument).
echo "$@" >> "$DOCKER_LOG"
if [ "$1" = "build" ]; then
    for last; do :; done
    (cd "$last" && find . -type f | sort) > "$DOCKER_LOG.context"
fi
"""


def _cli(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "sfncompile", *args], env=env, capture_output=True, text=True,
                          timeout=120)


def test_without_docker_image_build_says_so_in_one_line(tmp_path):
    env = dict(os.environ, PATH=str(tmp_path))  # an empty PATH directory: no docker
    out = _cli("image", "build", env=env)
    assert out.returncode == 1
    first, *rest = out.stderr.strip().splitlines()
    assert first.startswith("configuration error: Docker is not installed here (no `docker` on PATH)"), out.stderr
    assert rest and rest[0].strip().startswith("fix: install Docker")
    assert "Traceback" not in out.stderr


def test_image_build_assembles_the_context_from_the_installed_package(tmp_path):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    docker = bin_dir / "docker"
    docker.write_text(FAKE_DOCKER)
    docker.chmod(docker.stat().st_mode | stat.S_IEXEC)
    log = tmp_path / "docker.log"
    env = dict(os.environ, PATH=f"{bin_dir}:{os.environ['PATH']}", DOCKER_LOG=str(log))
    out = _cli("image", "build", "--tag", "example/runtime:test", "--architecture", "arm64", env=env)
    assert out.returncode == 0, out.stderr
    assert "built example/runtime:test" in out.stdout
    call = log.read_text().split()
    assert call[:3] == ["build", "--platform", "linux/arm64"]
    assert call[3] == "-f" and call[4].endswith("/sfncompile/image/Dockerfile")
    assert call[5:7] == ["-t", "example/runtime:test"]
    context = (tmp_path / "docker.log.context").read_text().split()
    assert sorted(context) == sorted(
        [f"./sfncompile/image/{name}" for name in BUILD_FILES] + ["./dist/sfncompile-0.1.0-py3-none-any.whl"]
    )


def test_the_packed_wheel_installs_and_carries_the_build_files(tmp_path):
    from sfncompile.environments.uvbin import run_uv

    wheel = pack_installed_wheel(str(tmp_path))
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    assert {f"sfncompile/image/{name}" for name in BUILD_FILES} <= names
    assert "sfncompile-0.1.0.dist-info/entry_points.txt" in names
    target = tmp_path / "site"
    installed = run_uv(["pip", "install", "--offline", "--no-deps", "--target", str(target), wheel])
    assert installed.returncode == 0, installed.stderr
    check = subprocess.run(
        [sys.executable, "-I", "-c",
         f"import sys; sys.path.insert(0, {str(target)!r}); "
         "from sfncompile.image.context import dockerfile_text; print(dockerfile_text().splitlines()[0])"],
        capture_output=True, text=True, timeout=60,
    )
    assert check.stdout.strip() == dockerfile_text().splitlines()[0], check.stderr


def test_the_image_ships_uv_pinned_with_the_runtime_dependencies():
    assert any(line.startswith("uv==") for line in runtime_requirements())
    assert "ARG PYTHON_VERSION=3.11" in dockerfile_text()


@pytest.mark.parametrize("uri", [
    "123456789012.dkr.ecr.us-east-1.amazonaws.com/repo@sha256:" + "a" * 64,  # already pinned
    "public.ecr.aws/docker/library/python:3.11",                              # not a private ECR repository
])
def test_pinned_or_foreign_images_are_left_as_they_are(uri):
    assert pin_image(object(), uri) == uri
