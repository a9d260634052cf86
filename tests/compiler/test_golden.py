"""Golden files pin the exact pretty JSON of every example (and of the decorated flow).

After an intended change of the output, regenerate them and review the diff:

    SFNCOMPILE_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/compiler/test_golden.py
"""
from __future__ import annotations

import difflib
import os

import pytest

from sfncompile.compiler import to_pretty_json

from .helpers import DECORATED, EXAMPLES, GOLDEN, compile_path, flow_id

UPDATE = os.environ.get("SFNCOMPILE_UPDATE_GOLDEN") == "1"


def golden_path(flow: str) -> str:
    return os.path.join(GOLDEN, os.path.splitext(os.path.basename(flow))[0] + ".json")


@pytest.mark.parametrize("flow", EXAMPLES + [DECORATED], ids=flow_id)
def test_output_matches_golden_file(flow):
    text = to_pretty_json(compile_path(flow).definition)
    path = golden_path(flow)
    if UPDATE:
        os.makedirs(GOLDEN, exist_ok=True)
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
    assert os.path.exists(path), f"no golden file {path}: run with SFNCOMPILE_UPDATE_GOLDEN=1"
    with open(path, encoding="utf-8") as handle:
        expected = handle.read()
    if text != expected:
        diff = "".join(difflib.unified_diff(expected.splitlines(True), text.splitlines(True), path, "compiled", n=2))
        pytest.fail(f"{flow_id(flow)} compiles differently from {path}:\n{diff[:4000]}\n"
                    "if intended: SFNCOMPILE_UPDATE_GOLDEN=1 pytest tests/compiler/test_golden.py")


def test_every_golden_file_has_a_flow():
    expected = {os.path.basename(golden_path(f)) for f in EXAMPLES + [DECORATED]}
    assert set(os.listdir(GOLDEN)) == expected, "remove golden files of flows that no longer exist"
