"""Graph IR: static analysis of a flow class into an immutable, checked graph."""
from .builder import build_graph, build_graph_from_file
from .ir import FlowGraph, Frame, ParameterSpec, StepNode, SwitchCase
from .taskid import foreach_stack, parse_task_id, render_task_id
from .transitions import next_values

__all__ = [
    "FlowGraph",
    "Frame",
    "ParameterSpec",
    "StepNode",
    "SwitchCase",
    "build_graph",
    "build_graph_from_file",
    "render_task_id",
    "parse_task_id",
    "foreach_stack",
    "next_values",
]
