"""What the stage's Batch compute can run: Fargate's fixed vCPU/memory pairs, GPUs only on GPU instances.

Pure (no AWS): ``deploy`` finds the stage's kind from its job queue, ``check --compute``
takes it from the user; both reject a step that Batch would only refuse at submit time.
Fargate's pairs are AWS Batch's documented values ("Job definition parameters",
resourceRequirements on Fargate: docs.aws.amazon.com/batch/latest/userguide/
job_definition_parameters.html#ContainerProperties-resourceRequirements-Fargate-memory-vcpu);
Batch has no GPUs on Fargate.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Tuple

from ..exceptions import CompileError
from ..graph.ir import FlowGraph, StepNode
from .result import CompileWarning

FARGATE = "fargate"
EC2 = "ec2"
EC2_GPU = "ec2-gpu"
KINDS = (FARGATE, EC2, EC2_GPU)

# vCPU -> the memory values (MiB) Fargate accepts with it.
FARGATE_MEMORY: Dict[float, Tuple[int, ...]] = {
    0.25: (512, 1024, 2048),
    0.5: tuple(range(1024, 4096 + 1, 1024)),
    1: tuple(range(2048, 8192 + 1, 1024)),
    2: tuple(range(4096, 16384 + 1, 1024)),
    4: tuple(range(8192, 30720 + 1, 1024)),
    8: tuple(range(16384, 61440 + 1, 4096)),
    16: tuple(range(32768, 122880 + 1, 8192)),
}
# The stack's base job definition (infra/sfncompile_infra/batch.py): what a step gets when it says nothing.
BASE_CPU = 1
BASE_MEMORY = 2048


@dataclass(frozen=True)
class Compute:
    """The kind of Batch compute a stage's job queue runs on: ``fargate``, ``ec2`` or ``ec2-gpu``."""

    kind: str

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"compute kind must be one of {', '.join(KINDS)}, got {self.kind!r}")


def _memory_text(values: Tuple[int, ...]) -> str:
    if len(values) <= 4:
        return ", ".join(map(str, values))
    return f"{values[0]}-{values[-1]} in steps of {values[1] - values[0]}"


def fargate_pairs() -> str:
    """The allowed pairs, for messages: ``cpu=0.25: memory 512, 1024, 2048; ...``."""
    return "; ".join(f"cpu={cpu:g}: memory {_memory_text(mem)}" for cpu, mem in FARGATE_MEMORY.items())


def step_problem(node: StepNode, compute: Compute) -> Optional[str]:
    """Why ``compute`` cannot run this step's @resources/@batch/@kubernetes sizes, or None."""
    sizes: Dict[str, float] = {}
    for deco in ("resources", "batch"):
        for key, value in (node.decorator(deco) or {}).items():
            if key in ("cpu", "memory", "gpu") and value is not None:
                sizes[key] = max(sizes.get(key, value), value)
    if sizes.get("gpu") and compute.kind != EC2_GPU:
        where = "Fargate has no GPUs" if compute.kind == FARGATE else "this stage's EC2 instances have no GPUs"
        return f"asks for gpu={sizes['gpu']:g}, but {where}; allowed: gpu=0 here, or deploy to a stage with GPU instances"
    if compute.kind != FARGATE or not (sizes.get("cpu") or sizes.get("memory")):
        return None
    cpu = sizes.get("cpu") or BASE_CPU
    memory = int(sizes.get("memory") or BASE_MEMORY)
    allowed = FARGATE_MEMORY.get(cpu)
    if allowed is None:
        return (f"asks for cpu={cpu:g}, which Fargate does not offer; allowed cpu: "
                f"{', '.join(f'{c:g}' for c in FARGATE_MEMORY)} ({fargate_pairs()})")
    if memory not in allowed:
        return f"asks for cpu={cpu:g} with memory={memory}, which Fargate cannot run; with cpu={cpu:g} memory is {_memory_text(allowed)}"
    return None


def check_compute(graph: FlowGraph, compute: Compute) -> None:
    """CompileError naming the first step (file:line) whose sizes ``compute`` cannot run."""
    for node in graph:
        problem = step_problem(node, compute)
        if problem:
            raise CompileError(
                f"{node.file}:{node.line} (step '{node.name}'): {problem}",
                fix="change @resources (or @batch/@kubernetes) to an allowed value",
            )


def compute_notes(graph: FlowGraph) -> List[str]:
    """Notes for `check` without --compute: steps a Fargate stage (the default) would reject."""
    out = []
    for node in graph:
        problem = step_problem(node, Compute(FARGATE))
        if problem:
            out.append(f"note: {node.file}:{node.line} (step '{node.name}') {problem}: "
                       "a Fargate stage (the default) rejects it at deploy")
    return out


def kubernetes_warnings(graph: FlowGraph) -> List[CompileWarning]:
    """A step with Metaflow's @kubernetes runs as a Batch job here: say so once per step."""
    out = []
    for node in graph:
        kube = node.decorator("kubernetes")
        if kube is None:
            continue
        ignored = kube.get("no_effect_on_batch") or ()
        out.append(CompileWarning(
            "@kubernetes runs as an AWS Batch job here (cpu/memory/gpu as @resources, image as @batch)"
            + (f"; {', '.join(ignored)} have no effect on Batch" if ignored else ""),
            step=node.name,
        ))
    return out
