"""Resolve an environment into a lock with ``uv pip compile --generate-hashes``.

Two targets: this machine (``local``) and the runtime image's platform (``image``:
manylinux_2_28, the image's Python, binary wheels only since Batch installs offline).
The environment id is the sha256 of the target's lock text. Locks are cached under
the user cache, keyed by everything the resolver reads, so a second ``check`` or run
does not call uv at all.
"""
from __future__ import annotations

import hashlib
import json
import os
import re
from dataclasses import dataclass
from typing import Any, Collection, Dict, List, Mapping, Optional, Sequence

from ..exceptions import EnvironmentSpecError
from . import interpreters, overlay
from .paths import locks_dir, write_atomic
from .spec import EnvSpec, canonical
from .uvbin import run_uv, uv_reason

LOCAL, IMAGE = "local", "image"
_LOCK_FORMAT = 1
# Conda names whose PyPI project is called differently (the common ones).
CONDA_TO_PYPI = {
    "pytorch": "torch", "py-xgboost": "xgboost", "pytables": "tables", "python-graphviz": "graphviz",
    "py-opencv": "opencv-python", "opencv": "opencv-python", "pyqt": "PyQt5", "msgpack-python": "msgpack",
}


@dataclass(frozen=True)
class Target:
    name: str                 # LOCAL or IMAGE
    python: str               # "3.11"
    platform: Optional[str]   # uv --python-platform; None: this machine
    overlay_deps: bool        # sfncompile's dependencies come from the installation (pinned), not the lock


@dataclass(frozen=True)
class Lock:
    target: Target
    spec: EnvSpec
    text: str

    @property
    def env_id(self) -> str:
        return hashlib.sha256(self.text.encode("utf-8")).hexdigest()

    @property
    def short_id(self) -> str:
        return self.env_id[:12]

    def pins(self) -> List[str]:
        """``name==version`` lines of the lock (what gets installed)."""
        return [line.split(" ", 1)[0] for line in self.text.splitlines() if line and line[0].isalnum()]


def local_target(spec: EnvSpec, where: str) -> Target:
    interpreters.local_interpreter(spec.python, where)  # exists, or a clear error now
    python = spec.python or interpreters.host_python()
    return Target(LOCAL, python, None, python == interpreters.host_python())


def image_target(spec: EnvSpec, where: str, config: Optional[Mapping[str, Any]] = None) -> Target:
    python = interpreters.check_image_python(spec.python, interpreters.image_python(config), where)
    return Target(IMAGE, python, interpreters.image_platform(config), True)


def _constraints(target: Target) -> List[str]:
    if target.name == IMAGE:
        from ..image.context import runtime_requirements

        return runtime_requirements()
    return overlay.installation()["pins"] if target.overlay_deps else []


def _inputs(spec: EnvSpec, target: Target) -> Dict[str, Any]:
    requirements = list(spec.requirements)
    if not target.overlay_deps:
        requirements += overlay.installation()["direct"]
    return {
        "format": _LOCK_FORMAT,
        "requirements": requirements,
        "constraints": _constraints(target),
        "python": target.python,
        "platform": target.platform,
        "uv": overlay.installation()["uv"],
    }


def resolve(spec: EnvSpec, target: Target, where: str) -> Lock:
    """The lock of ``spec`` for ``target`` (cached; uv runs only on a miss)."""
    inputs = _inputs(spec, target)
    key = hashlib.sha256(json.dumps(inputs, sort_keys=True).encode()).hexdigest()
    path = os.path.join(locks_dir(), f"{key}.txt")
    try:
        with open(path, encoding="utf-8") as handle:
            return Lock(target, spec, handle.read())
    except FileNotFoundError:
        pass
    text = _compile(spec, target, inputs, where)
    write_atomic(path, text)
    return Lock(target, spec, text)


def _compile(spec: EnvSpec, target: Target, inputs: Mapping[str, Any], where: str) -> str:
    import tempfile

    with tempfile.TemporaryDirectory(prefix="sfncompile-lock-") as tmp:
        with open(os.path.join(tmp, "requirements.in"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(inputs["requirements"]) + "\n")
        with open(os.path.join(tmp, "constraints.txt"), "w", encoding="utf-8") as handle:
            handle.write("\n".join(inputs["constraints"]) + "\n")
        args = ["pip", "compile", "requirements.in", "-c", "constraints.txt", "--generate-hashes", "--no-header",
                "--no-annotate", "--quiet", "--python-version", target.python]
        if target.platform:
            args += ["--python-platform", target.platform, "--only-binary", ":all:"]
        out = run_uv(args, cwd=tmp)
    if out.returncode != 0:
        raise _resolution_error(out.stderr, spec, target, where)
    platform = target.platform or "this machine"
    header = (f"# sfncompile environment lock: target {target.name}, python {target.python}, {platform}; "
              f"sfncompile's dependencies {'from the installation' if target.overlay_deps else 'in the lock'}\n")
    return header + out.stdout


def _resolution_error(stderr: str, spec: EnvSpec, target: Target, where: str) -> EnvironmentSpecError:
    # uv wraps its report to the terminal's width: match on the text with its line breaks folded.
    folded = " ".join(stderr.split())
    missing = re.search(r"Because ([A-Za-z0-9._-]+)(?:\[[^\]]*\])? was not found in the package registry", folded)
    if missing:
        name = missing.group(1)
        if canonical(name) in {canonical(c) for c in spec.conda}:
            suggestion = CONDA_TO_PYPI.get(canonical(name), "<its PyPI name>")
            return EnvironmentSpecError(
                f"{where}: @conda library {name!r} is not on PyPI (sfncompile resolves @conda libraries from PyPI)",
                fix=f"use @pypi(packages={{'{suggestion}': ...}}) with the library's PyPI name",
            )
        return EnvironmentSpecError(
            f"{where}: package {name!r} is not on PyPI", fix=f"check its name on https://pypi.org/project/{name}/"
        )
    wheels = re.search(r"Wheels are required for `([^`]+)`", folded) or re.search(
        r"Because ([A-Za-z0-9._-]+)\S* has no usable wheels", folded)
    if wheels and target.platform:
        name = wheels.group(1)
        return EnvironmentSpecError(
            f"{where}: package {name!r} publishes no binary wheel for {target.platform} / Python {target.python} "
            "(Batch installs environments from wheels only, offline)",
            fix=f"pin a version of {name} that ships wheels, or replace it",
        )
    return EnvironmentSpecError(
        f"{where}: cannot resolve the environment ({target.name}, Python {target.python}): {uv_reason(stderr)}",
        fix="loosen or correct the versions; sfncompile's own dependencies are pinned to the installed versions",
    )


def where(graph_file: str, node: Any) -> str:
    return f"{graph_file}:{node.line} (step '{node.name}')"


def resolve_flow(graph: Any, targets: Sequence[str] = (LOCAL,), config: Optional[Mapping[str, Any]] = None,
                 steps: Optional[Collection[str]] = None) -> Dict[str, Dict[str, Lock]]:
    """{step: {target: Lock}} for every step (of ``steps``, if given) that has an environment; each distinct
    one resolved once."""
    from .spec import flow_environments

    out: Dict[str, Dict[str, Lock]] = {}
    done: Dict[Any, Lock] = {}
    for step, spec in flow_environments(graph).items():
        if spec is None or (steps is not None and step not in steps):
            continue
        node = graph[step]
        here = where(graph.file, node)
        out[step] = {}
        for name in targets:
            target = local_target(spec, here) if name == LOCAL else image_target(spec, here, config)
            key = (spec, target)
            if key not in done:
                done[key] = resolve(spec, target, here)
            out[step][name] = done[key]
    return out
