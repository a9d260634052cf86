"""The AWS API calls a Step Functions task makes, operation by operation (an extra call fails here)."""
from __future__ import annotations

import textwrap
from typing import List

import boto3
import pytest

from sfncompile.graph import build_graph
from sfncompile.graph.loader import load_flow_class
from sfncompile.runtime.task import TaskSettings, run_task
from sfncompile.storage.artifacts import ArtifactStore
from sfncompile.storage.dynamodb_metadata import DynamoDbMetadataStore
from sfncompile.storage.factory import Stores
from sfncompile.storage.s3_objects import S3ObjectStore

from .conftest import REGION

FLOW = '''
from sfncompile import FlowSpec, current, step


class CallsFlow(FlowSpec):
    @step
    def start(self):
        print("hello")
        self.numbers = [current.run_id, 1, 2]
        self.next(self.end)

    @step
    def end(self):
        self.total = len(self.numbers)
'''


def _record(client, calls: List[str]) -> None:
    service = client.meta.service_model.service_id.replace(" ", "").lower()
    client.meta.events.register("before-call", lambda model, **_: calls.append(f"{service} {model.name}"))


@pytest.fixture
def task(aws, tmp_path):
    """Runs one task of CallsFlow on S3 + DynamoDB; returns (run, calls)."""
    path = tmp_path / "calls_flow.py"
    path.write_text(textwrap.dedent(FLOW))
    cls = load_flow_class(str(path))
    graph = build_graph(cls)
    session = boto3.session.Session()
    s3, ddb = session.client("s3", region_name=REGION), session.client("dynamodb", region_name=REGION)
    calls: List[str] = []
    _record(s3, calls)
    _record(ddb, calls)
    objects = S3ObjectStore(f"s3://{aws.bucket}/sfncompile", client=s3)
    stores = Stores(objects, ArtifactStore(objects), DynamoDbMetadataStore(aws.table, client=ddb),
                    objects.url, f"dynamodb:{aws.table}")
    settings = TaskSettings(username="tester", namespace="user:tester", echo=False, echo_traceback=False)

    def run(step: str, run_id: str) -> List[str]:
        del calls[:]
        result = run_task(cls, graph, step, run_id, "0", 0, stores=stores, settings=settings,
                          run_params={} if step == "start" else None)
        assert result.ok, result.error
        return list(calls)

    return run


def test_a_linear_start_and_end_make_only_the_calls_they_need(task):
    # The start task of an execution nobody recorded (a schedule): it creates the run record
    # and uses what it wrote, without reading it back.
    assert task("start", "sfn-calls1") == [
        "dynamodb GetItem",  # the task record: already succeeded? (redrive) and the attempt number
        "dynamodb GetItem",  # the run record (absent)
        "dynamodb PutItem",  # the flow item (list_flows)
        "dynamodb PutItem",  # the run item, conditional (write-once)
        "s3 PutObject",  # the run's graph
        "dynamodb PutItem",  # the attempt item
        "dynamodb UpdateItem",  # the task item: RUNNING
        "s3 PutObject",  # the numbers blob (If-None-Match)
        "s3 PutObject",  # stdout log
        "s3 PutObject",  # the attempt's artifact index (If-None-Match)
        "dynamodb UpdateItem",  # the attempt: SUCCEEDED
        "dynamodb UpdateItem",  # the task: SUCCEEDED (the state machine reads it)
    ]
    assert task("end", "sfn-calls1") == [
        "dynamodb GetItem",  # the task record
        "dynamodb GetItem",  # the run record (namespace, tags, ...)
        "dynamodb PutItem",  # the attempt item
        "dynamodb UpdateItem",  # the task item: RUNNING
        "dynamodb GetItem",  # the parent task (its successful attempt)
        "s3 GetObject",  # the parent's artifact index
        "s3 GetObject",  # the numbers blob, read by the step
        "s3 PutObject",  # the total blob
        "s3 PutObject",  # the attempt's artifact index
        "dynamodb UpdateItem",  # the attempt: SUCCEEDED
        "dynamodb UpdateItem",  # the task: SUCCEEDED
        "dynamodb UpdateItem",  # the run: SUCCEEDED
    ]


def test_a_start_task_whose_run_was_recorded_first_reads_that_record(task, aws):
    """When the run record appears between the task's read and its conditional write, the stored one
    wins and is read back (only then)."""
    other = DynamoDbMetadataStore(aws.table, client=aws.ddb)
    real_get_run = DynamoDbMetadataStore.get_run
    reads = []

    def get_run(self, flow, run_id):
        reads.append(run_id)
        if len(reads) == 1:  # absent at the task's first read; then someone else creates the run
            other.create_run(flow, run_id, username="trigger", namespace="user:trigger", tags=["t:x"])
            return None
        return real_get_run(self, flow, run_id)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(DynamoDbMetadataStore, "get_run", get_run)
        task("start", "sfn-calls2")
    assert reads == ["sfn-calls2", "sfn-calls2"]
    run = other.get_run("CallsFlow", "sfn-calls2")
    assert (run["username"], run["tags"]) == ("trigger", ["t:x"])


def test_create_run_says_whether_it_created(backend):
    meta = backend.metadata
    assert meta.create_run("F", "r1", username="u", namespace="user:u") is True
    assert meta.create_run("F", "r1", username="v", namespace="user:v") is False
    assert meta.get_run("F", "r1")["username"] == "u"


def test_a_start_task_of_a_triggered_run_reads_the_run_record_and_writes_no_run(task, aws):
    DynamoDbMetadataStore(aws.table, client=aws.ddb).create_run("CallsFlow", "sfn-calls3", username="u",
                                                                 namespace="user:u")
    assert task("start", "sfn-calls3") == [
        "dynamodb GetItem", "dynamodb GetItem",  # the task record, the run record (there)
        "s3 PutObject", "dynamodb PutItem", "dynamodb UpdateItem",  # graph, attempt, task RUNNING
        "s3 PutObject", "s3 PutObject", "s3 PutObject",  # blob, stdout log, artifact index
        "dynamodb UpdateItem", "dynamodb UpdateItem",  # attempt and task SUCCEEDED
    ]
