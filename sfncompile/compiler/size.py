"""A definition's size against Step Functions' 1 MiB, measured as deploy will send it.

What AWS limits is the request: "Maximum request size: 1 MB per request. This is the
total data size per Step Functions API request, including the request header and all
other associated request data" (a hard quota,
https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html). The definition
travels inside the CreateStateMachine / UpdateStateMachine request as a JSON *string*, as
botocore's JSON protocol writes it (``json.dumps`` with its defaults: every ``"`` of the
definition becomes ``\\"``, non-ASCII ``\\uXXXX``): about 15% more than the definition's
own compact UTF-8 bytes, so measuring only those let a flow at 90% fail at deploy.
:func:`request_bytes` is that body's size; :func:`deployed_size` the CreateStateMachine
request's, with what compile cannot know (ARNs, name, role, tags, logging) at a real
stage's length, plus :data:`HEADER_BYTES` for the signed headers.

Placeholders are shorter than what deploy puts there (an ARN is ~80 characters,
``${JobQueue}`` 11), so a flow is measured with every placeholder compile could not
fill replaced by a value as long as a real stage's (:data:`ASSUMED_VALUES`). A flow
above :data:`WARN_SHARE` of the limit gets a warning; one above the limit an error
whose fix names what to change in *that* flow (the foreach whose Maps take the most,
or how many steps fit). Deploy checks again with its real requests.
"""
from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any, Dict, Mapping, Optional, Sequence, Tuple

from ..exceptions import CompileError
from ..graph.ir import FOREACH, FlowGraph
from . import intrinsics as asl
from .names import MAX_NAME_LENGTH
from .result import CompileWarning
from .serialize import to_json

MAX_DEFINITION_BYTES = 1_048_576  # the request quota (and CreateStateMachine's ``definition`` maximum length)
# Signed headers count too: Authorization, X-Amz-Date, X-Amz-Target, User-Agent and a session
# token (temporary credentials: one to two KB).
HEADER_BYTES = 4096
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
# The rest of deploy's CreateStateMachine request (aws/statemachine.py), as long as a real
# stage's: the longest name Step Functions allows, the stage's role and log group, the tags
# deploy sets (user tags are measured by deploy itself).
_ASSUMED_REQUEST: Dict[str, Any] = {
    "name": "x" * MAX_NAME_LENGTH,
    "definition": "",
    "roleArn": "arn:aws:iam::123456789012:role/sfncompile-production-StateMachineRole-1A2B3C4D5E6F",
    "type": "STANDARD",
    "tags": [{"key": "sfncompile:code", "value": "0" * 12}],  # and sfncompile:flow, the flow's name
    "publish": True,
    "loggingConfiguration": {"level": "ERROR", "includeExecutionData": False, "destinations": [
        {"cloudWatchLogsLogGroup": {"logGroupArn": f"arn:aws:logs:{_ACCOUNT_REGION}:log-group:"
                                                   "sfncompile-production-StateMachineLogs-1A2B3C4D5E6F:*"}}]},
}


class DefinitionTooLarge(CompileError):
    """The definition, as deployed, is past Step Functions' 1 MiB."""


def _assumed(name: str, flow: str) -> str:
    if name == asl.FLOW_NAME:
        return flow
    return ASSUMED_VALUES.get(name, ASSUMED_VALUES[asl.JOB_DEFINITION])  # JobDefinition_<step>: a job definition ARN


def request_bytes(request: Mapping[str, Any]) -> int:
    """Body bytes of an AWS request as boto3 sends it: botocore writes the JSON body of Step
    Functions' (JSON protocol) and Batch's (REST-JSON) requests with ``json.dumps``'s defaults."""
    return len(json.dumps(request).encode("utf-8"))


def _in_request(text: str) -> int:
    """Bytes ``text`` takes inside the request body, without its quotes."""
    return len(json.dumps(text)) - 2


def deployed_size(definition: Mapping[str, Any], flow: str = "TrainFlow") -> int:
    """Bytes of deploy's CreateStateMachine request (headers included) once placeholders are filled.

    Counted on the JSON text (each placeholder's occurrences times the length it gains),
    not by substituting a copy of the definition: this runs on every compilation.
    """
    text = to_json(definition)
    envelope = dict(_ASSUMED_REQUEST, tags=[*_ASSUMED_REQUEST["tags"], {"key": "sfncompile:flow", "value": flow}])
    size = request_bytes(envelope) + _in_request(text) + HEADER_BYTES
    for name, count in Counter(_PLACEHOLDER.findall(text)).items():
        in_definition = json.dumps(_assumed(name, flow), ensure_ascii=False)[1:-1]
        size += count * (_in_request(in_definition) - len(name) - 3)
    return size


def requests_size(requests: Sequence[Mapping[str, Any]]) -> int:
    """Bytes of the largest of deploy's real requests (headers included)."""
    return max(request_bytes(r) for r in requests) + HEADER_BYTES


def _foreach_bytes(graph: FlowGraph, definition: Mapping[str, Any]) -> Optional[Tuple[str, int, int]]:
    """(split step, bytes of its Map states, how many) for the top-level foreach whose Maps weigh most."""
    best: Optional[Tuple[str, int, int]] = None
    states = definition.get("States", {})
    for node in graph:
        if node.transition != FOREACH or node.scope:
            continue
        maps = [states[n] for n in (f"{node.name} inline", f"{node.name} distributed") if n in states]
        size = sum(_in_request(to_json(m)) for m in maps)
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
    return (f"the definition is {size:,} bytes as deployed (ARNs filled in, escaped as a string in the "
            f"CreateStateMachine request); Step Functions accepts at most {MAX_DEFINITION_BYTES:,} per request")


def check_size(definition: Mapping[str, Any], graph: Optional[FlowGraph] = None,
               requests: Sequence[Mapping[str, Any]] = ()) -> Optional[CompileWarning]:
    """Raise CompileError past 1 MiB as deployed; a warning within the last 20% of it.

    ``requests``: deploy's real CreateStateMachine / UpdateStateMachine requests, measured
    instead of the estimate."""
    if requests:
        size = requests_size(requests)
    else:
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
