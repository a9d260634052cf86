"""Same flow and settings, same bytes: in one process, and across processes with different hash seeds."""
from __future__ import annotations

import os
import subprocess

from sfncompile.compiler import to_json

from .helpers import ALL_FLOWS, ROOT, compile_path


def test_compiling_twice_gives_identical_bytes():
    for path in ALL_FLOWS:
        assert to_json(compile_path(path).definition) == to_json(compile_path(path).definition)


def test_output_does_not_depend_on_the_hash_seed(sfncompile_cmd):
    flow = next(p for p in ALL_FLOWS if p.endswith("nested_foreach3.py"))
    outputs = []
    for seed in ("1", "2"):
        env = dict(os.environ, PYTHONHASHSEED=seed)
        proc = subprocess.run([*sfncompile_cmd, "compile", flow, "--compact"], capture_output=True,
                              cwd=ROOT, env=env, timeout=60)
        assert proc.returncode == 0, proc.stderr
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    assert outputs[0].decode() == to_json(compile_path(flow).definition) + "\n"
