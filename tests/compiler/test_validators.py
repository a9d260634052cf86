"""Every compiled flow, in every foreach mode, passes statelint and asl-validator.

Each validator runs once over all the files (one process each) to keep this fast.
"""
from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import Dict, List

import pytest

from sfncompile.compiler import to_pretty_json

from .helpers import ALL_FLOWS, MODE_SETTINGS, ROOT, all_states, compile_path, deployable, graph_of

STATELINT = os.path.join(os.path.dirname(sys.executable), "statelint")
ASL_VALIDATOR = os.path.join(ROOT, "node_modules", ".bin", "asl-validator")

# statelint 3.1.0 does not know ReaderConfig.InputType, which a Distributed Map
# reading a JSON file from S3 needs (AWS docs, "ItemReader"; asl-validator and moto
# accept it). This one message per ItemReader is the only problem tolerated.
PROCESSES = max(1, min(4, os.cpu_count() or 1))

STATELINT_INPUT_TYPE_GAP = re.compile(r'^Field "InputType" not allowed in .*\.ItemReader\.ReaderConfig$')


@pytest.fixture(scope="module")
def compiled_files(tmp_path_factory) -> Dict[str, dict]:
    """path -> definition: every flow x foreach mode, as compiled and as deployed (distinct texts only)."""
    out_dir = tmp_path_factory.mktemp("asl")
    files: Dict[str, dict] = {}
    seen = set()
    for path in ALL_FLOWS:
        graph = graph_of(path)
        for mode, settings in MODE_SETTINGS.items():
            result = compile_path(path, **settings)
            variants = {"raw": result.definition, "deployable": deployable(result, graph)}
            for variant, definition in variants.items():
                text = to_pretty_json(definition)
                if text in seen:  # a flow without foreach compiles the same in every mode
                    continue
                seen.add(text)
                target = out_dir / f"{graph.name}-{mode}-{variant}.json"
                target.write_text(text)
                files[str(target)] = definition
    return files


def _statelint_problems(output: str) -> List[str]:
    return [line.strip() for line in output.splitlines() if line.startswith(" ")]


def test_statelint_accepts_every_compiled_flow(compiled_files):
    assert os.path.exists(STATELINT), f"{STATELINT} is missing: pip install -e '.[test]'"
    proc = subprocess.run([STATELINT, *compiled_files], capture_output=True, text=True, timeout=120)
    problems = _statelint_problems(proc.stdout + proc.stderr)
    unexpected = [p for p in problems if not STATELINT_INPUT_TYPE_GAP.match(p)]
    assert not unexpected, "\n".join(unexpected)
    readers = sum(1 for d in compiled_files.values() for s in all_states(d) if "ItemReader" in s)
    assert len(problems) == readers, "exactly one known InputType message per Distributed Map"
    assert readers > 0


def test_asl_validator_accepts_every_compiled_flow(compiled_files):
    assert os.path.exists(ASL_VALIDATOR), f"{ASL_VALIDATOR} is missing: run `npm ci` in {ROOT}"
    # asl-validator spends ~0.25 s per file (it builds its JSON Schema validator for
    # each): split the files over a few processes and check each flow once, as compiled
    # with foreach "auto" - which holds both the inline and the Distributed Map of every
    # foreach, while the decorated flow forces each mode. The other files differ only in
    # numbers or placeholder values; statelint checks every one of them.
    paths = sorted(p for p in compiled_files if p.endswith("-auto-raw.json"))
    chunks = [paths[i::PROCESSES] for i in range(PROCESSES)]
    procs = [
        subprocess.Popen(
            [ASL_VALIDATOR, *[arg for path in chunk for arg in ("--json-path", path)]],
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for chunk in chunks if chunk
    ]
    outputs = [(proc.communicate(timeout=120)[0], proc.returncode) for proc in procs]
    for output, returncode in outputs:
        assert returncode == 0, output
    valid = [line for output, _ in outputs for line in output.splitlines() if "is valid" in line]
    assert len(valid) == len(paths), "\n".join(o for o, _ in outputs)
