"""A definition's size against Step Functions' 1 MiB, measured as deploy will send it.

Placeholders are shorter than what deploy puts there (an ARN is ~80 characters,
``${JobQueue}`` 11), so a flow is measured with every placeholder compile could not
fill replaced by a value as long as a real stage's (:data:`ASSUMED_VALUES`). A flow
above :data:`WARN_SHARE` of the limit gets a warning; one above the limit an error
whose fix names what to change in *that* flow (the foreach whose Maps take the most,
or how many steps fit).
"""
from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Dict, Mapping, Optional, Tuple

from ..exceptions import CompileError
from ..graph.ir import FOREACH, FlowGraph
from . import intrinsics as asl
from .result import CompileWarning
from .serialize import to_json

MAX_DEFINITION_BYTES = 1_048_576
_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")
WARN_SHARE = 0.8

# As long as a production stage's values (a long region, a 12-digit account, stack-derived
# names); a placeholder compile could not fill is measured with one of these.
_ACCOUNT_REGION = "ap-southeast-2:123456789012"
ASSUMED_VALUES: Dict[str, str] = {
    asl.JOB_QUEUE: f"arn:aws:batch:{_ACCOUNT_REGION}:job-queue/sfncompile-production-JobQueue-1A2B3C4D5E6F",
    asl.JOB_DEFINITION: f"arn:aws:batch:{_ACCOUNT_REGION}:job-definition/sfncompile-production-TrainFlow:123",
    asl.METADATA_TABLE: "sfncompile-production-MetadataTable-1A2B3C4D5E6F",
    asl.DATASTORE_BUCKET: "sfncompile-production-datastorebucket-1a2b3c4d5e6f",
    asl.DATASTORE_PREFIX: "sfncompile",
    asl.STACK: "sfncompile-production",
}


class DefinitionTooLarge(CompileError):
    """The definition, as deployed, is past Step Functions' 1 MiB."""


def _assumed(name: str, flow: str) -> str:
    if name == asl.FLOW_NAME:
        return flow
    return ASSUMED_VALUES.get(name, ASSUMED_VALUES[asl.JOB_DEFINITION])  # JobDefinition_<step>: a job definition ARN


def deployed_size(definition: Mapping[str, Any], flow: str = "TrainFlow") -> int:
    """Compact UTF-8 bytes of ``definition`` once deploy has filled its placeholders.

    Counted on the JSON text (each placeholder's occurrences times the length it gains),
    not by substituting a copy of the definition: this runs on every compilation.
    """
    text = to_json(definition)
    size = len(text.encode("utf-8"))
    for name, count in Counter(_PLACEHOLDER.findall(text)).items():
        value = _assumed(name, flow)
        size += count * (len(json.dumps(value, ensure_ascii=False).encode("utf-8")) - 2 - len(name) - 3)
    return size


def _foreach_bytes(graph: FlowGraph, definition: Mapping[str, Any]) -> Optional[Tuple[str, int, int]]:
    """(split step, bytes of its Map states, how many) for the top-level foreach whose Maps weigh most."""
    best: Optional[Tuple[str, int, int]] = None
    states = definition.get("States", {})
    for node in graph:
        if node.transition != FOREACH or node.scope:
            continue
        maps = [states[n] for n in (f"{node.name} inline", f"{node.name} distributed") if n in states]
        size = sum(len(json.dumps(m, separators=(",", ":"))) for m in maps)
        if maps and (best is None or size > best[1]):
            best = (node.name, size, len(maps))
    return best


def size_fix(graph: Optional[FlowGraph], definition: Mapping[str, Any], size: int) -> str:
    """What to change in this flow to bring ``size`` under the limit."""
    if graph is None:
        return "split the flow into smaller flows, or set @foreach(mode='distributed') on foreaches whose body is large"
    per_step = size / max(len(graph), 1)
    fits = int(MAX_DEFINITION_BYTES / per_step)
    heaviest = _foreach_bytes(graph, definition)
    if heaviest is not None and heaviest[1] > size / 2:
        step, weight, copies = heaviest
        if copies == 2:
            return (f"set @foreach(mode='distributed') on step '{step}': its body ({weight // 1024:,} KiB) is "
                    "compiled twice, once per Map the 'auto' mode chooses from")
        return f"the foreach of step '{step}' takes {weight // 1024:,} KiB: move part of its body into a flow of its own"
    fix = (f"split the flow: its {len(graph):,} steps take about {per_step:.0f} bytes each, "
           f"and about {fits:,} fit in one state machine")
    longest = max(len(node.name) for node in graph)
    if longest > 30:
        fix += f"; shorter step names help too (each appears several times; the longest has {longest} characters)"
    return fix


def size_message(size: int) -> str:
    return (f"the definition is {size:,} bytes as deployed (ARNs filled in); "
            f"Step Functions accepts at most {MAX_DEFINITION_BYTES:,}")


def check_size(definition: Mapping[str, Any], graph: Optional[FlowGraph] = None) -> Optional[CompileWarning]:
    """Raise CompileError past 1 MiB as deployed; a warning within the last 20% of it."""
    size = deployed_size(definition, graph.name if graph is not None else "TrainFlow")
    if size > MAX_DEFINITION_BYTES:
        raise DefinitionTooLarge(size_message(size), fix=size_fix(graph, definition, size))
    if size > MAX_DEFINITION_BYTES * WARN_SHARE:
        return CompileWarning(
            f"the definition is {size:,} bytes as deployed, {size / MAX_DEFINITION_BYTES:.0%} of Step Functions' "
            f"limit of {MAX_DEFINITION_BYTES:,}",
            fix=size_fix(graph, definition, size),
        )
    return None
