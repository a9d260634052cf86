"""How large a metadata record may grow, and what happens past that: one set of rules for SQLite and DynamoDB.

DynamoDB stores an item of at most 400 KB (1 KB = 1024 bytes), counting every attribute's name and
value (strings as UTF-8), a partition key value of at most 2048 bytes and a sort key value of at
most 1024 bytes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html;
how an item's size adds up:
https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html).
An UpdateItem cannot see the size of the item it changes, so each attribute that grows with what a
user writes has a budget of its own, and the budgets of an item add up to less than the limit:

- error text (attempt and run records): clipped to ``ERROR_BYTES``, its head and tail kept around a
  marker that says how much was cut and where the whole text is (a task's traceback is in its
  attempt's stderr log in the datastore);
- a run's parameters (JSON) and tags: rejected past ``PARAMETERS_BYTES`` / ``TAGS_BYTES`` with an
  error naming what to shorten, before anything of the run is written;
- an attempt's ``info`` (JSON): rejected past ``INFO_BYTES``;
- names in the keys (flow, run id, step, task id): rejected past ``NAME_BYTES``;
- every other text attribute (namespace, username, failed_step, ...): rejected past ``TEXT_BYTES``.

Nothing else in a record grows with the run's size: a foreach split records its cardinality (a
number), a join finds its parents from the graph and that number, and no record lists tasks. A
local (SQLite) run obeys the same rules, so what runs locally also fits on AWS.
"""
from __future__ import annotations

import json
from typing import Any, Dict, Mapping, Optional, Sequence

from ..exceptions import ParameterError, StorageError, TaggingError

KB = 1024
ITEM_BYTES = 400 * KB  # DynamoDB's item limit
PARTITION_KEY_BYTES = 2048
SORT_KEY_BYTES = 1024

ERROR_BYTES = 64 * KB
PARAMETERS_BYTES = 192 * KB
TAGS_BYTES = 64 * KB
INFO_BYTES = 16 * KB
TEXT_BYTES = 1 * KB
# Keys: ``RUN#<flow>#<run>`` and ``ATTEMPT#<step>#<task>#<attempt:04d>`` (storage/dynamodb_metadata.py).
NAME_BYTES = {"flow": 1000, "run id": 1000, "step": 800, "task id": 200}


def utf8_size(text: str) -> int:
    return len(text.encode("utf-8"))


def _over(text: str, limit: int) -> bool:
    """``text`` is more than ``limit`` bytes of UTF-8 (a short string is not encoded: at most 4 bytes a character)."""
    return len(text) * 4 > limit and utf8_size(text) > limit


def clip_error(text: Optional[str], whole_text_at: str) -> Optional[str]:
    """``text`` within ``ERROR_BYTES`` of UTF-8: the head and the tail around a marker saying how many
    bytes were cut and where the whole text is (``whole_text_at``). Characters are never split."""
    if text is None or not _over(text, ERROR_BYTES):
        return text
    data = text.encode("utf-8")
    marker_room = 200 + utf8_size(whole_text_at)
    keep = ERROR_BYTES - marker_room
    head = data[: keep // 2].decode("utf-8", "ignore")
    tail = data[len(data) - keep // 2:].decode("utf-8", "ignore")
    cut = len(data) - utf8_size(head) - utf8_size(tail)
    return f"{head}\n[... {cut:,} bytes cut here; {whole_text_at} ...]\n{tail}"


def attempt_error(text: Optional[str], pathspec: str, attempt: int) -> Optional[str]:
    """An attempt's error as recorded: a task's whole traceback is in its attempt's stderr log."""
    return clip_error(text, f"the whole traceback is in the attempt's stderr log: "
                            f"sfncompile logs --stderr --attempt {attempt} {pathspec}")


def run_error(text: Optional[str], flow: str, run_id: str) -> Optional[str]:
    """A run's error as recorded: the failed task's stderr log holds the whole text."""
    return clip_error(text, f"the stderr log of the failed task of {flow}/{run_id} holds the whole text")


def check_names(**names: Optional[str]) -> None:
    """Names that become parts of a key (``flow=``, ``run_id=``, ``step=``, ``task_id=``) within their budget."""
    for arg, value in names.items():
        label = arg.replace("_", " ")
        if value is not None and _over(value, NAME_BYTES[label]):
            raise StorageError(
                f"the {label} {value[:60]!r}... is {utf8_size(value):,} bytes; metadata records keep at most "
                f"{NAME_BYTES[label]:,} bytes of it (a DynamoDB key holds at most {SORT_KEY_BYTES} or "
                f"{PARTITION_KEY_BYTES} bytes)",
                fix=f"use a shorter {label}",
            )


def check_texts(what: str, fields: Mapping[str, Any]) -> None:
    """Every string field of ``fields`` within ``TEXT_BYTES`` (the attributes without a budget of their own)."""
    for name, value in fields.items():
        if isinstance(value, str) and _over(value, TEXT_BYTES):
            raise StorageError(
                f"{what}: {name} {value[:60]!r}... is {utf8_size(value):,} bytes; a metadata record keeps at most "
                f"{TEXT_BYTES:,} bytes of it",
                fix=f"use a shorter {name}",
            )


def tags_size(tags: Sequence[str]) -> int:
    """The tags as a DynamoDB list of strings: 3 bytes, and per element its UTF-8 bytes and 1."""
    return 3 + sum(utf8_size(t) + 1 for t in tags)


def check_tags(flow: str, run_id: str, tags: Sequence[str]) -> None:
    size = tags_size(tags)
    if size > TAGS_BYTES:
        raise TaggingError(
            f"run {flow}/{run_id} would carry {len(tags):,} tags, {size:,} bytes in all; a run keeps at most "
            f"{TAGS_BYTES:,} bytes of tags",
            fix="remove tags (Run.remove_tags), or use fewer and shorter ones",
        )


def encode_parameters(flow: str, run_id: str, parameters: Optional[Mapping[str, Any]]) -> str:
    """The run's parameters as stored (JSON), or a ParameterError naming the largest when they are too large."""
    values = dict(parameters or {})
    text = json.dumps(values, sort_keys=True, default=str)
    size = utf8_size(text)
    if size > PARAMETERS_BYTES:
        sizes = {name: utf8_size(json.dumps(value, default=str)) for name, value in values.items()}
        largest = max(sizes, key=sizes.__getitem__)
        raise ParameterError(
            f"the parameters of run {flow}/{run_id} are {size:,} bytes as JSON ('{largest}': {sizes[largest]:,} bytes); "
            f"a run record keeps at most {PARAMETERS_BYTES:,}",
            fix=f"pass '{largest}' as an IncludeFile parameter (stored in the datastore, recorded by reference)",
        )
    return text


def encode_info(pathspec: str, attempt: int, info: Optional[Mapping[str, Any]]) -> Optional[str]:
    """An attempt's ``info`` as stored (JSON, None when empty), within ``INFO_BYTES``."""
    if not info:
        return None
    text = json.dumps(dict(info), sort_keys=True, default=str)
    if utf8_size(text) > INFO_BYTES:
        raise StorageError(
            f"the info of {pathspec} attempt {attempt} is {utf8_size(text):,} bytes as JSON; an attempt record keeps "
            f"at most {INFO_BYTES:,}",
            fix="shorten the values it is made of (SFNCOMPILE_CODE_URL, SFNCOMPILE_FLOW_FILE, the host name)",
        )
    return text


def new_run(flow: str, run_id: str, *, tags: Sequence[str], parameters: Optional[Mapping[str, Any]],
            **texts: Any) -> str:
    """Check a run about to be created; returns its parameters as stored (JSON)."""
    check_names(flow=flow, run_id=run_id)
    check_texts(f"run {flow}/{run_id}", texts)
    check_tags(flow, run_id, tags)
    return encode_parameters(flow, run_id, parameters)


def run_update(flow: str, run_id: str, fields: Mapping[str, Any]) -> Dict[str, Any]:
    """``update_run`` fields as stored: ``error`` clipped, ``parameters`` as JSON, tags and texts checked."""
    out: Dict[str, Any] = {}
    for name, value in fields.items():
        if name == "error":
            value = run_error(value, flow, run_id)
        elif name == "tags" and value is not None:
            value = list(value)
            check_tags(flow, run_id, value)
        elif name == "parameters" and value is not None:
            value = encode_parameters(flow, run_id, value)
        else:
            check_texts(f"run {flow}/{run_id}", {name: value})
        out[name] = value
    return out


def attempt_start(flow: str, run_id: str, step: str, task_id: str, attempt: int,
                  info: Optional[Mapping[str, Any]]) -> Optional[str]:
    """Check an attempt about to be recorded; returns its ``info`` as stored (JSON, None when empty)."""
    check_names(flow=flow, run_id=run_id, step=step, task_id=task_id)
    return encode_info(f"{flow}/{run_id}/{step}/{task_id}", attempt, info)


def attempt_finish(flow: str, run_id: str, step: str, task_id: str, attempt: int, *, choice: Optional[str],
                   error: Optional[str]) -> Optional[str]:
    """Check an attempt's end about to be recorded; returns its error as stored (clipped)."""
    check_names(flow=flow, run_id=run_id, step=step, task_id=task_id)
    pathspec = f"{flow}/{run_id}/{step}/{task_id}"
    check_texts(pathspec, {"choice": choice})
    return attempt_error(error, pathspec, attempt)
