"""Port a Metaflow flow file to sfncompile by changing its import lines and nothing else."""
from __future__ import annotations

import difflib
import os
import re
from typing import List

from .cases import FLOWS

_IMPORT = re.compile(r"^(\s*)from metaflow import ", re.MULTILINE)


def port_source(text: str) -> str:
    """``text`` with every ``from metaflow import`` line importing from sfncompile instead."""
    return _IMPORT.sub(r"\1from sfncompile import ", text)


def changed_lines(before: str, after: str) -> List[str]:
    """Lines of ``after`` that differ from ``before`` (what the port touched)."""
    diff = difflib.ndiff(before.splitlines(), after.splitlines())
    return [line[2:] for line in diff if line.startswith("+ ")]


def port_flow(name: str, directory: str) -> str:
    """Write the sfncompile version of flow ``name`` into ``directory`` (its data beside it); return its path."""
    with open(os.path.join(FLOWS, name + ".py"), encoding="utf-8") as fh:
        original = fh.read()
    ported = port_source(original)
    touched = changed_lines(original, ported)
    if not touched or any(not line.lstrip().startswith("from sfncompile import ") for line in touched):
        raise AssertionError(f"porting {name} changed more than its import lines: {touched}")
    path = os.path.join(directory, name + ".py")
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(ported)
    data = os.path.join(directory, "data")
    if not os.path.exists(data):
        os.symlink(os.path.join(FLOWS, "data"), data)
    return path
