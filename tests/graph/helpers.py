"""Write a flow's source to a file and build its graph, as `sfncompile check` does."""
from __future__ import annotations

import itertools
import textwrap

from sfncompile.graph import build_graph_from_file

_counter = itertools.count()

HEADER = (
    "from sfncompile import (FlowSpec, IncludeFile, JSONType, Parameter, batch, catch, current,\n"
    "    environment, foreach, kubernetes, project, resources, retry, schedule, step, timeout)\n\n"
)


def write_flow(tmp_path, body: str, name: str = "") -> str:
    path = tmp_path / f"{name or 'flow'}_{next(_counter)}.py"
    path.write_text(HEADER + textwrap.dedent(body))
    return str(path)


def graph_of(tmp_path, body: str):
    return build_graph_from_file(write_flow(tmp_path, body))


def line_of(path: str, needle: str) -> int:
    for number, text in enumerate(open(path).read().splitlines(), start=1):
        if needle in text:
            return number
    raise AssertionError(f"{needle!r} not in {path}")
