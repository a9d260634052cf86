"""Which steps of a local run go to AWS Batch, and whether the AWS configuration they need exists.

Kept apart from ``plan.py`` (uploads, job definitions) and ``executor.py``: every local run
asks these two questions, and a run without ``@batch`` steps should not import what
submitting jobs needs.
"""
from __future__ import annotations

from typing import Any, Dict, List

from ..exceptions import ConfigError
from ..graph.ir import FlowGraph

HOW_TO_FIX = "run `sfncompile configure --stack NAME` (after `cdk deploy` in infra/), or pass --local-only to run " \
             "these steps on this machine"


def remote_steps(graph: FlowGraph) -> List[str]:
    """Steps that run on Batch: those with ``@batch`` (in the file or from ``--with batch``), in graph order."""
    return [node.name for node in graph.topological() if node.decorator("batch") is not None]


def require_config(graph: FlowGraph, steps: List[str]) -> Dict[str, Any]:
    """The AWS configuration the remote steps need; none: one line naming the step and the fix."""
    from ..aws import config as cfg

    config = cfg.load_config(required=False)
    if config is None:
        node = graph[steps[0]]
        where = f"{graph.file}:{node.line}" if node.line else graph.file
        more = f" (and {len(steps) - 1} more)" if len(steps) > 1 else ""
        raise ConfigError(
            f"{where}: step '{steps[0]}'{more} runs on AWS Batch (@batch), but there is no AWS configuration at "
            f"{cfg.config_path()}",
            fix=HOW_TO_FIX,
        )
    return config
