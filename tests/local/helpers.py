"""Run flows in-process with the local scheduler (fast: no interpreter start per run)."""
from __future__ import annotations

import io
import os
from typing import Any, Dict, Optional

from sfncompile.client import backend as client_backend
from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.local.output import Reporter
from sfncompile.local.scheduler import LocalRunner, RunOutcome

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
EXAMPLES = os.path.join(ROOT, "examples")
SHAPES = os.path.join(ROOT, "tests", "flows")
LOCAL_FLOWS = os.path.join(HERE, "flows")


def flow_path(name: str) -> str:
    for base in (LOCAL_FLOWS, EXAMPLES, SHAPES):
        path = os.path.join(base, name if name.endswith(".py") else name + ".py")
        if os.path.exists(path):
            return path
    raise FileNotFoundError(name)


def run_flow(name: str, params: Optional[Dict[str, Any]] = None, *, max_workers: int = 4, **kwargs: Any):
    """(outcome, printed text) of a local run of ``name`` (a file under examples/, tests/flows/ or tests/local/flows/)."""
    client_backend.reset()
    flow_cls = load_flow_class(flow_path(name))
    graph = build_graph(flow_cls)
    out = io.StringIO()
    runner = LocalRunner(
        flow_cls, graph, parameters=params, max_workers=max_workers, reporter=Reporter(out, tty=False), **kwargs
    )
    runner.prepare()
    outcome: RunOutcome = runner.run()
    return outcome, out.getvalue()
