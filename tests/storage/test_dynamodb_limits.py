"""Metadata records at the edge of DynamoDB's limits, on emulated AWS (and the same rules on SQLite).

DynamoDB: an item holds at most 400 KB (names and values, UTF-8), a partition key 2048 bytes, a
sort key 1024 bytes (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Constraints.html);
a Query page at most 1 MB, continued from its LastEvaluatedKey
(https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/Query.Pagination.html).
"""
from __future__ import annotations

import json
import os
import textwrap
from decimal import Decimal
from typing import Any, Dict, List

import pytest

from sfncompile.exceptions import ParameterError, StorageError, TaggingError
from sfncompile.storage import record_limits as limits
from sfncompile.storage.dynamodb_metadata import (
    DynamoDbMetadataStore,
    attempt_sk,
    run_pk,
    run_sk,
    task_pk,
    task_sk,
)
from sfncompile.storage.interfaces import FAILED, RUNNING, SUCCEEDED

FLOW = "LimitsFlow"
EMOJI = "\U0001F600"  # 4 bytes of UTF-8


def aws_item_size(item: Dict[str, Dict[str, Any]]) -> int:
    """An item's size as DynamoDB counts it (CapacityUnitCalculations.html): names and values in UTF-8,
    a number 1 byte per two significant digits and 1, a list or map 3 bytes and 1 per element."""

    def value(attr: Dict[str, Any]) -> int:
        ((kind, v),) = attr.items()
        if kind == "S":
            return len(v.encode("utf-8"))
        if kind == "N":
            digits = Decimal(v).normalize().as_tuple().digits
            return (len(digits) + 1) // 2 + 1
        if kind in ("BOOL", "NULL"):
            return 1
        if kind == "L":
            return 3 + sum(value(e) + 1 for e in v)
        if kind == "M":
            return 3 + sum(len(k.encode("utf-8")) + value(e) + 1 for k, e in v.items())
        raise AssertionError(f"unexpected attribute type {kind}")

    return sum(len(name.encode("utf-8")) + value(attr) for name, attr in item.items())


def _raw(aws, pk: str, sk: str) -> Dict[str, Any]:
    return aws.ddb.get_item(TableName=aws.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)["Item"]


def _tags_filling_the_budget() -> List[str]:
    tags, n = [], 0
    while True:
        tag = f"t{n:05d}-" + "x" * 500
        if limits.tags_size(tags + [tag]) > limits.TAGS_BYTES:
            return tags
        tags.append(tag)
        n += 1


def _text(size: int) -> str:
    return "n" * size


@pytest.fixture
def dynamo(aws):
    return DynamoDbMetadataStore(aws.table, client=aws.ddb)


def test_the_emulator_enforces_the_limits_these_tests_rely_on(aws):
    """The tests below prove records fit because moto rejects what AWS rejects; if moto stopped doing so they
    would pass for nothing. moto: models/dynamo_type.py LimitedSizeDict (item size), models/table.py
    _validate_key_sizes and RESULT_SIZE_LIMIT (keys, 1 MB pages)."""
    from botocore.exceptions import ClientError

    def put(pk: str, sk: str, **attrs: str) -> None:
        item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in attrs.items()}}
        aws.ddb.put_item(TableName=aws.table, Item=item)

    for pk, sk, attrs in (("p", "s", {"big": "x" * (limits.ITEM_BYTES + 1)}),
                          ("p" * (limits.PARTITION_KEY_BYTES + 1), "s", {}),
                          ("p", "s" * (limits.SORT_KEY_BYTES + 1), {})):
        with pytest.raises(ClientError) as err:
            put(pk, sk, **attrs)
        assert err.value.response["Error"]["Code"] == "ValidationException"
    for i in range(12):
        put("page", f"{i:02d}", v="x" * 100_000)
    first = aws.ddb.query(TableName=aws.table, KeyConditionExpression="pk = :p",
                          ExpressionAttributeValues={":p": {"S": "page"}})
    assert first["Count"] < 12 and "LastEvaluatedKey" in first


def test_the_largest_run_record_fits_one_item(aws, dynamo):
    """Every budget of a run item used at once (names, tags, parameters, texts, then a huge error) is stored
    whole, and the item stays under 400 KB as AWS counts it."""
    flow, run_id = "F" * limits.NAME_BYTES["flow"], "r" * limits.NAME_BYTES["run id"]
    tags = _tags_filling_the_budget()
    filler = limits.PARAMETERS_BYTES - len(json.dumps({"p": ""}))
    params = {"p": "x" * filler}
    assert limits.utf8_size(json.dumps(params)) == limits.PARAMETERS_BYTES
    text = _text(limits.TEXT_BYTES)
    assert dynamo.create_run(flow, run_id, username=text, namespace=text, tags=tags, parameters=params,
                             origin_run_id=run_id)
    error = "Traceback (most recent call last):\n" + EMOJI * 250_000 + "\nValueError: the end\n"
    dynamo.update_run(flow, run_id, status=FAILED, failed_step="s" * limits.NAME_BYTES["step"], error=error,
                      scheduler_host=text, heartbeat_at="2026-01-01T00:00:00.000Z", scheduler_pid=2**31,
                      finished_at="2026-01-01T00:00:00.000Z")
    run = dynamo.get_run(flow, run_id)
    assert run["status"] == FAILED and run["tags"] == tags and run["parameters"] == params
    assert run["namespace"] == text and run["username"] == text and run["scheduler_host"] == text
    assert limits.utf8_size(run["error"]) <= limits.ERROR_BYTES
    assert run["error"].startswith("Traceback (most recent call last):\n" + EMOJI)
    assert run["error"].endswith(EMOJI + "\nValueError: the end\n")
    assert "bytes cut here" in run["error"] and f"{flow}/{run_id}" in run["error"]
    assert aws_item_size(_raw(aws, run_pk(flow), run_sk(run_id))) < limits.ITEM_BYTES


def test_the_largest_attempt_and_task_records_fit_one_item(aws, dynamo):
    flow, run_id = "F" * limits.NAME_BYTES["flow"], "r" * limits.NAME_BYTES["run id"]
    step, task_id = "s" * limits.NAME_BYTES["step"], "1" * limits.NAME_BYTES["task id"]
    info = {"code_url": "u" * (limits.INFO_BYTES - 100)}
    dynamo.start_attempt(flow, run_id, step, task_id, 10_000, info=info)
    error = "x" * 3_000_000 + "\nKeyError: 'last line'\n"
    dynamo.finish_attempt(flow, run_id, step, task_id, 10_000, status=FAILED, error=error)
    (attempt,) = dynamo.list_attempts(flow, run_id, step, task_id)
    assert attempt["info"] == info and attempt["status"] == FAILED
    assert limits.utf8_size(attempt["error"]) <= limits.ERROR_BYTES
    assert attempt["error"].endswith("\nKeyError: 'last line'\n")
    assert f"sfncompile logs --stderr --attempt 10000 {flow}/{run_id}/{step}/{task_id}" in attempt["error"]
    dynamo.finish_attempt(flow, run_id, step, task_id, 10_001, status=SUCCEEDED, cardinality=100_000,
                          choice="c" * limits.TEXT_BYTES, next_visit=3)
    assert dynamo.get_task(flow, run_id, step, task_id)["cardinality"] == 100_000
    for sk in (attempt_sk(step, task_id, 10_000), task_sk(step, task_id)):
        assert aws_item_size(_raw(aws, task_pk(flow, run_id), sk)) < limits.ITEM_BYTES


def test_past_a_budget_nothing_is_written_and_the_error_says_what_to_shorten(backend):
    md = backend.metadata
    with pytest.raises(ParameterError, match=r"(?s)'big': 2\d\d,\d\d\d bytes.*IncludeFile"):
        md.create_run(FLOW, "r1", username="u", namespace="n", parameters={"small": 1, "big": "x" * 250_000})
    assert md.get_run(FLOW, "r1") is None
    with pytest.raises(TaggingError, match=r"run LimitsFlow/r2 would carry [\d,]+ tags"):
        md.create_run(FLOW, "r2", username="u", namespace="n", tags=_tags_filling_the_budget() + ["one-more" * 60])
    assert md.get_run(FLOW, "r2") is None
    with pytest.raises(StorageError, match="the flow 'FFF"):
        md.create_run("F" * (limits.NAME_BYTES["flow"] + 1), "r3", username="u", namespace="n")
    with pytest.raises(StorageError, match="namespace"):
        md.create_run(FLOW, "r4", username="u", namespace="n" * (limits.TEXT_BYTES + 1))
    assert md.get_run(FLOW, "r4") is None

    md.create_run(FLOW, "r5", username="u", namespace="n", tags=["a"])
    with pytest.raises(TaggingError, match="Run.remove_tags"):
        md.update_run(FLOW, "r5", tags=["a"] + _tags_filling_the_budget())
    with pytest.raises(ParameterError):
        md.update_run(FLOW, "r5", parameters={"big": "x" * 250_000})
    assert md.get_run(FLOW, "r5")["tags"] == ["a"] and md.get_run(FLOW, "r5")["parameters"] == {}

    with pytest.raises(StorageError, match=r"(?s)the step 'sss.*use a shorter step"):
        md.start_attempt(FLOW, "r5", "s" * (limits.NAME_BYTES["step"] + 1), "0", 0)
    with pytest.raises(StorageError, match="the task id"):
        md.finish_attempt(FLOW, "r5", "s", "1." * 101, 0, status=SUCCEEDED)
    with pytest.raises(StorageError, match="info of LimitsFlow/r5/s/0 attempt 0"):
        md.start_attempt(FLOW, "r5", "s", "0", 0, info={"flow_file": "f" * limits.INFO_BYTES})
    assert md.list_tasks(FLOW, "r5") == []


def test_long_errors_are_clipped_alike_on_both_backends(backend):
    """A traceback past the budget keeps its head and tail (whole characters) and says where the rest is."""
    md = backend.metadata
    md.create_run(FLOW, "r1", username="u", namespace="n")
    md.start_attempt(FLOW, "r1", "s", "0", 0)
    error = "head " + "\u00e9" * 100_000 + EMOJI * 50_000 + " tail\n"
    md.finish_attempt(FLOW, "r1", "s", "0", 0, status=FAILED, error=error)
    md.update_run(FLOW, "r1", status=FAILED, error=error)
    recorded = [md.list_attempts(FLOW, "r1", "s", "0")[0]["error"], md.get_run(FLOW, "r1")["error"]]
    for text in recorded:
        size = limits.utf8_size(text)
        assert limits.ERROR_BYTES - 1024 < size <= limits.ERROR_BYTES  # the marker's room aside, the budget is used
        head, marker, tail = text.split("\n", 2)
        assert head.startswith("head \u00e9") and set(head[5:]) == {"\u00e9"}
        assert marker.startswith("[... ") and "bytes cut here" in marker
        assert tail.endswith(EMOJI + " tail\n") and set(tail[:-6]) == {EMOJI}
        cut = int(marker.split()[1].replace(",", ""))
        assert cut == limits.utf8_size(error) - limits.utf8_size(head) - limits.utf8_size(tail)
    assert "stderr log: sfncompile logs --stderr --attempt 0 LimitsFlow/r1/s/0 ...]" in recorded[0]
    short = "ValueError: boom\n"
    md.finish_attempt(FLOW, "r1", "s", "0", 1, status=FAILED, error=short)
    assert md.list_attempts(FLOW, "r1", "s", "0")[1]["error"] == short


WIDE_FLOW = os.path.join(os.path.dirname(__file__), "..", "aws", "flows", "wide.py")  # a Distributed Map foreach


def _batch_put(aws, items: List[Dict[str, Any]]) -> None:
    for i in range(0, len(items), 25):
        requests = [{"PutRequest": {"Item": item}} for item in items[i: i + 25]]
        while requests:
            out = aws.ddb.batch_write_item(RequestItems={aws.table: requests})
            requests = out.get("UnprocessedItems", {}).get(aws.table, [])


def test_a_10000_item_foreach_is_read_whole_across_1mb_query_pages(aws, dynamo):
    """10,000 foreach tasks (several 1 MB Query pages): the join lists every one as a parent; the split's
    record holds only its cardinality and the run's nothing per task."""
    from sfncompile.graph import build_graph
    from sfncompile.graph.loader import load_flow_class
    from sfncompile.runtime.inputs import resolve_parents

    width, run_id = 10_000, "sfn-wide"
    graph = build_graph(load_flow_class(WIDE_FLOW))
    dynamo.create_run("WideFlow", run_id, username="u", namespace="n")
    dynamo.finish_attempt("WideFlow", run_id, "start", "0", 0, status=SUCCEEDED, cardinality=width)
    # The attributes the join reads (the identity comes from the keys), and 300 bytes more each, so that the
    # 10,000 items take several 1 MB pages (moto serialises each attribute slowly: no more than needed).
    _batch_put(aws, [
        {"pk": {"S": task_pk("WideFlow", run_id)}, "sk": {"S": task_sk("square", str(i))},
         "status": {"S": SUCCEEDED}, "successful_attempt": {"N": "0"}, "padding": {"S": "p" * 300}}
        for i in range(width)
    ])
    pages: List[int] = []
    aws.ddb.meta.events.register("after-call.dynamodb.Query", lambda parsed, **_: pages.append(parsed["Count"]))
    parents = resolve_parents(graph, dynamo, "WideFlow", run_id, graph["join"], ())
    assert sorted(p.values[0] for p in parents) == list(range(width))
    assert len(pages) >= 3 and sum(pages) == width  # pages of at most 1 MB, every one read
    split = _raw(aws, task_pk("WideFlow", run_id), task_sk("start", "0"))
    assert split["cardinality"] == {"N": str(width)} and aws_item_size(split) < 1024
    assert aws_item_size(_raw(aws, run_pk("WideFlow"), run_sk(run_id))) < 1024  # nothing appended per task


def test_a_failing_task_with_a_huge_message_records_its_failure_on_dynamodb(aws, dynamo, tmp_path):
    """A start task with large parameters fails with a 400 KB message: the attempt and the run are both
    recorded FAILED (the run's error clipped), and the stderr log keeps the whole traceback."""
    from sfncompile.graph import build_graph
    from sfncompile.graph.loader import load_flow_class
    from sfncompile.runtime.artifacts import ArtifactIO
    from sfncompile.runtime.task import TaskSettings, run_task
    from sfncompile.storage.artifacts import ArtifactStore
    from sfncompile.storage.factory import Stores
    from sfncompile.storage.s3_objects import S3ObjectStore

    path = tmp_path / "loud_flow.py"
    path.write_text(textwrap.dedent('''
        from sfncompile import FlowSpec, Parameter, step


        class LoudFlow(FlowSpec):
            blob = Parameter("blob", default="")

            @step
            def start(self):
                raise ValueError("\\U0001F600" * 100_000)
                self.next(self.end)

            @step
            def end(self):
                pass
    '''))
    cls = load_flow_class(str(path))
    objects = S3ObjectStore(f"s3://{aws.bucket}/sfncompile", client=aws.s3)
    stores = Stores(objects, ArtifactStore(objects), dynamo, objects.url, f"dynamodb:{aws.table}")
    settings = TaskSettings(username="tester", namespace="user:tester", echo=False, echo_traceback=False)
    result = run_task(cls, build_graph(cls), "start", "sfn-loud", "0", 0, stores=stores, settings=settings,
                      run_params={"blob": "b" * 150_000})
    assert not result.ok
    run = dynamo.get_run("LoudFlow", "sfn-loud")
    assert run["status"] == FAILED and run["failed_step"] == "start" and run["parameters"]["blob"] == "b" * 150_000
    assert run["error"].startswith("ValueError: " + EMOJI) and "bytes cut here" in run["error"]
    (attempt,) = dynamo.list_attempts("LoudFlow", "sfn-loud", "start", "0")
    assert attempt["status"] == FAILED and "sfncompile logs --stderr --attempt 0 LoudFlow/sfn-loud/start/0" in attempt["error"]
    log = ArtifactIO(stores.artifacts, "LoudFlow").get_log("sfn-loud", "start", "0", 0, "stderr")
    assert "ValueError: " + EMOJI * 100_000 in log
    assert dynamo.get_task("LoudFlow", "sfn-loud", "start", "0")["status"] == FAILED
    assert RUNNING not in (run["status"], attempt["status"])
