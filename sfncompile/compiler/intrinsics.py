"""Building ASL values: intrinsic function calls, placeholders and resource ARNs.

Intrinsic functions (``States.Format`` and friends) take string literals in single
quotes where ``'``, ``{``, ``}`` and ``\\`` must be escaped; every literal the compiler
puts into one goes through :func:`literal`.
"""
from __future__ import annotations

from typing import Sequence

BATCH_SUBMIT_SYNC = "arn:aws:states:::batch:submitJob.sync"
DYNAMODB_GET_ITEM = "arn:aws:states:::dynamodb:getItem"
S3_GET_OBJECT = "arn:aws:states:::s3:getObject"

# Placeholders (docs/internals.md, "Definition substitutions").
JOB_QUEUE = "JobQueue"
JOB_DEFINITION = "JobDefinition"
METADATA_TABLE = "MetadataTable"
DATASTORE_BUCKET = "DatastoreBucket"
DATASTORE_PREFIX = "DatastorePrefix"
FLOW_NAME = "FlowName"
STACK = "Stack"
PLACEHOLDERS = (JOB_QUEUE, JOB_DEFINITION, METADATA_TABLE, DATASTORE_BUCKET, DATASTORE_PREFIX, FLOW_NAME, STACK)

# Paths into the (small) state payload: {"r": run id, "q", "d", "t", "c": {...}, "ctl": {...}}.
# Every Task reads the run id and the SubmitJob values every step shares (queue, job
# definition, tags), so each is a one-letter key at the top level: a path's length is
# paid once per step ("$.q", not "$.j.q"). They are stored once by the first Pass
# instead of in every Task: long ARNs would otherwise repeat per step (about 170 bytes
# each) and bring Step Functions' 1 MiB limit closer.
RUN_KEY = "r"
RUN = f"$.{RUN_KEY}"
JOB_QUEUE_KEY = "q"
JOB_DEFINITION_KEY = "d"
JOB_TAGS_KEY = "t"
SHARED_KEYS = (RUN_KEY, JOB_QUEUE_KEY, JOB_DEFINITION_KEY, JOB_TAGS_KEY)
JOB_QUEUE_PATH = f"$.{JOB_QUEUE_KEY}"
JOB_DEFINITION_PATH = f"$.{JOB_DEFINITION_KEY}"
JOB_TAGS_PATH = f"$.{JOB_TAGS_KEY}"
# The frame values (context.py): every Task inside a foreach or loop reads one, so a
# one-letter key as well.
CTX_KEY = "c"
CTX = f"$.{CTX_KEY}"
CTL = "$.ctl"
RETRY_COUNT = "$$.State.RetryCount"
# The execution's ARN: the start task reads the run's parameters from its input (runtime/execution_input.py).
EXECUTION_ID = "$$.Execution.Id"
MAP_INDEX = "$$.Map.Item.Index"


def placeholder(name: str) -> str:
    return "${" + name + "}"


def job_definition_placeholder(step: str) -> str:
    """The placeholder of a step's own job definition (steps with ``@batch(image=...)``)."""
    return f"{JOB_DEFINITION}_{step}"


def literal(text: str) -> str:
    """``text`` as an intrinsic-function string literal (quoted and escaped)."""
    escaped = text.replace("\\", "\\\\").replace("'", "\\'").replace("{", "\\{").replace("}", "\\}")
    return f"'{escaped}'"


def call(function: str, *args: str) -> str:
    """``States.<function>(args...)``; args are already ASL (paths, literals or calls)."""
    return f"States.{function}({','.join(args)})"


def format_call(template: str, args: Sequence[str]) -> str:
    """``States.Format`` of a template whose ``{}``s take ``args``.

    ``template`` is written with literal text around ``{}`` markers: the literal parts
    are escaped here (``${Placeholder}``s too, so substitution must escape the values
    it puts inside intrinsic strings; ``substitute.py`` does).
    """
    pieces = template.split("{}")
    if len(pieces) - 1 != len(args):
        raise ValueError(f"template {template!r} needs {len(pieces) - 1} arguments, got {len(args)}")
    body = "{}".join(_escape_body(p) for p in pieces)
    return call("Format", f"'{body}'", *args)


def _escape_body(text: str) -> str:
    """Escape literal text inside a Format template, keeping ``${Placeholder}`` markers readable."""
    out = []
    i = 0
    while i < len(text):
        if text.startswith("${", i):
            end = text.index("}", i)
            out.append(text[i : end + 1])  # a placeholder; its value is escaped when substituted
            i = end + 1
            continue
        out.append(literal(text[i])[1:-1])
        i += 1
    return "".join(out)


def put(fields: dict, key: str, template: str, args: Sequence[str] = ()) -> None:
    """Set a Parameters field: ``key`` to plain text, or ``key.$`` to a Format of ``args``.

    ASL takes a literal under ``Key`` and an expression under ``Key.$``.
    """
    if args:
        fields[f"{key}.$"] = format_call(template, args)
    else:
        fields[key] = template
