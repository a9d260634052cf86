"""MetadataStore on one DynamoDB table (single-table design of docs/internals.md).

=========  ======================  =========================================
item       pk                      sk
=========  ======================  =========================================
flow       ``FLOWS``               ``FLOW#<flow>``
run        ``FLOW#<flow>``         ``RUN#<run>``
task       ``RUN#<flow>#<run>``    ``TASK#<step>#<task>``
attempt    ``RUN#<flow>#<run>``    ``ATTEMPT#<step>#<task>#<attempt:04d>``
=========  ======================  =========================================

Every listing is a Query on one partition (never a Scan); reads are strongly
consistent. The state machine reads ``cardinality`` (N) and ``choice`` (S) from the
task item and writes ``status``/``failed_step``/``finished_at``/``error`` on the run
item, so those names and types are fixed. Numbers come back as ``int``; ``tags`` is a
list, ``parameters`` and ``info`` are JSON strings in the table and dicts in records.
"""
from __future__ import annotations

import json
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

from ..exceptions import NotFoundError
from . import records as rec
from .interfaces import RUNNING, SUCCEEDED, MetadataStore
from .retry import LazyClient, error_code, is_boto_error, make_client, translate

_INTERNAL = ("pk", "sk", "type")


def flow_pk() -> str:
    return "FLOWS"


def run_pk(flow: str) -> str:
    return f"FLOW#{flow}"


def run_sk(run_id: str) -> str:
    return f"RUN#{run_id}"


def task_pk(flow: str, run_id: str) -> str:
    return f"RUN#{flow}#{run_id}"


def task_sk(step: str, task_id: str) -> str:
    return f"TASK#{step}#{task_id}"


def attempt_sk(step: str, task_id: str, attempt: int) -> str:
    return f"ATTEMPT#{step}#{task_id}#{int(attempt):04d}"


def _to_attr(value: Any) -> Dict[str, Any]:
    """A Python value as a DynamoDB attribute value (str, int/float, bool, list/tuple of str, None)."""
    if value is None:
        return {"NULL": True}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, (int, float, Decimal)):
        return {"N": str(value)}
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, (list, tuple)):
        return {"L": [_to_attr(v) for v in value]}
    if isinstance(value, dict):
        return {"M": {k: _to_attr(v) for k, v in value.items()}}
    raise TypeError(f"cannot store {type(value).__name__} in DynamoDB")


def _from_attr(attr: Dict[str, Any]) -> Any:
    ((kind, value),) = attr.items()
    if kind == "S":
        return value
    if kind == "N":
        number = Decimal(value)
        return int(number) if number == number.to_integral_value() else float(number)
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "L":
        return [_from_attr(v) for v in value]
    if kind == "M":
        return {k: _from_attr(v) for k, v in value.items()}
    if kind == "SS":
        return sorted(value)
    if kind == "NS":
        return sorted(_from_attr({"N": v}) for v in value)
    return value  # B / BS: left as is


def _item(plain: Dict[str, Any]) -> Dict[str, Dict[str, Any]]:
    return {k: _to_attr(v) for k, v in plain.items() if v is not None}


def _plain(item: Dict[str, Any]) -> Dict[str, Any]:
    return {k: _from_attr(v) for k, v in item.items() if k not in _INTERNAL}


def _from_keys(item: Dict[str, Any]) -> Dict[str, Any]:
    """Identity fields from pk/sk: items created by the state machine's updateItem carry only those."""
    pk = item.get("pk", {}).get("S", "")
    sk = item.get("sk", {}).get("S", "")
    out: Dict[str, Any] = {}
    if pk.startswith("FLOW#") and sk.startswith("RUN#"):
        out = {"flow": pk[len("FLOW#"):], "run_id": sk[len("RUN#"):]}
    elif pk.startswith("RUN#"):
        flow, _, run_id = pk[len("RUN#"):].partition("#")
        out = {"flow": flow, "run_id": run_id}
        kind, _, rest = sk.partition("#")
        if kind == "TASK":
            out["step"], _, out["task_id"] = rest.partition("#")
        elif kind == "ATTEMPT":
            step, _, rest = rest.partition("#")
            task_id, _, attempt = rest.rpartition("#")
            out.update(step=step, task_id=task_id, attempt=int(attempt) if attempt.isdigit() else attempt)
    return out


def _plain_with_identity(item: Dict[str, Any]) -> Dict[str, Any]:
    out = _from_keys(item)
    out.update((k, v) for k, v in _plain(item).items() if v is not None or k not in out)
    return out


def _clip(text: Optional[str], limit: int = 64_000) -> Optional[str]:
    """Keep items far below DynamoDB's 400 KB: long tracebacks keep their head and tail.

    DynamoDB counts a string's UTF-8 bytes, not its characters
    (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html),
    so ``limit`` is bytes: 64,000 characters of non-ASCII text would be up to 256 KB."""
    if text is None:
        return text
    data = text.encode("utf-8")
    if len(data) <= limit:
        return text
    half = limit // 2
    head, tail = data[:half].decode("utf-8", "ignore"), data[-half:].decode("utf-8", "ignore")
    return f"{head}\n... ({len(data) - limit:,} bytes cut) ...\n{tail}"


def _run_record(item: Dict[str, Any]) -> Dict[str, Any]:
    out = rec.complete(_plain_with_identity(item), rec.RUN_FIELDS)
    out["tags"] = list(out["tags"] or [])
    params = out["parameters"]
    out["parameters"] = json.loads(params) if isinstance(params, str) and params else (params or {})
    return out


def _task_record(item: Dict[str, Any]) -> Dict[str, Any]:
    return rec.complete(_plain_with_identity(item), rec.TASK_FIELDS)


def _attempt_record(item: Dict[str, Any]) -> Dict[str, Any]:
    out = rec.complete(_plain_with_identity(item), rec.ATTEMPT_FIELDS)
    info = out["info"]
    out["info"] = json.loads(info) if isinstance(info, str) and info else (info or {})
    return out


class _Update:
    """Builds an UpdateExpression with placeholder names (status, error, ... are reserved words)."""

    def __init__(self) -> None:
        self.sets: List[str] = []
        self.removes: List[str] = []
        self.names: Dict[str, str] = {}
        self.values: Dict[str, Any] = {}

    def _name(self, attr: str) -> str:
        ph = f"#n{len(self.names)}"
        self.names[ph] = attr
        return ph

    def set(self, attr: str, value: Any, *, if_absent: bool = False) -> "_Update":
        if value is None:
            return self.remove(attr)
        name = self._name(attr)
        ph = f":v{len(self.values)}"
        self.values[ph] = _to_attr(value)
        self.sets.append(f"{name} = if_not_exists({name}, {ph})" if if_absent else f"{name} = {ph}")
        return self

    def remove(self, attr: str) -> "_Update":
        self.removes.append(self._name(attr))
        return self

    def kwargs(self) -> Dict[str, Any]:
        parts = []
        if self.sets:
            parts.append("SET " + ", ".join(self.sets))
        if self.removes:
            parts.append("REMOVE " + ", ".join(self.removes))
        out: Dict[str, Any] = {"UpdateExpression": " ".join(parts), "ExpressionAttributeNames": self.names}
        if self.values:
            out["ExpressionAttributeValues"] = self.values
        return out


class DynamoDbMetadataStore(MetadataStore):
    page_size: Optional[int] = None  # Query page size (None: DynamoDB's 1 MB pages); tests lower it

    def __init__(self, table: str, client: Any = None, *, region: Optional[str] = None) -> None:
        self.table = table
        self.url = f"dynamodb:{table}"
        self._client = LazyClient(lambda: make_client("dynamodb", region), client)

    def __repr__(self) -> str:
        return f"DynamoDbMetadataStore({self.table!r})"

    @property
    def client(self) -> Any:
        return self._client.get()

    # -- calls -------------------------------------------------------------------------------
    def _call(self, op: str, what: str, **kwargs: Any) -> Any:
        try:
            return getattr(self.client, op)(TableName=self.table, **kwargs)
        except Exception as exc:
            if is_boto_error(exc):
                raise translate(exc, f"{self.url}: {what}") from exc
            raise

    def _update(self, pk: str, sk: str, update: _Update, what: str, condition: Optional[str] = None) -> bool:
        """UpdateItem; False when ``condition`` failed."""
        kwargs = update.kwargs()
        if condition:
            kwargs["ConditionExpression"] = condition
        try:
            self.client.update_item(TableName=self.table, Key={"pk": {"S": pk}, "sk": {"S": sk}}, **kwargs)
            return True
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False
            if is_boto_error(exc):
                raise translate(exc, f"{self.url}: {what}") from exc
            raise

    def _get(self, pk: str, sk: str, what: str) -> Optional[Dict[str, Any]]:
        response = self._call("get_item", what, Key={"pk": {"S": pk}, "sk": {"S": sk}}, ConsistentRead=True)
        return response.get("Item")

    def _query(self, pk: str, sk_prefix: str, what: str, *, forward: bool = True) -> Iterator[Dict[str, Any]]:
        try:
            paginator = self.client.get_paginator("query")
            pages = paginator.paginate(
                TableName=self.table,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :sk)",
                ExpressionAttributeValues={":pk": {"S": pk}, ":sk": {"S": sk_prefix}},
                ConsistentRead=True,
                ScanIndexForward=forward,
                **({"PaginationConfig": {"PageSize": self.page_size}} if self.page_size else {}),
            )
            for page in pages:
                yield from page.get("Items", ())
        except Exception as exc:
            if is_boto_error(exc):
                raise translate(exc, f"{self.url}: {what}") from exc
            raise

    # -- runs --------------------------------------------------------------------------------
    def create_run(
        self,
        flow: str,
        run_id: str,
        *,
        username: str,
        namespace: str,
        tags: Sequence[str] = (),
        parameters: Optional[Dict[str, Any]] = None,
        origin_run_id: Optional[str] = None,
        status: str = RUNNING,
        created_at: Optional[str] = None,
    ) -> bool:
        what = f"create run {flow}/{run_id}"
        self._call("put_item", what, Item=_item({"pk": flow_pk(), "sk": f"FLOW#{flow}", "type": "flow", "flow": flow}))
        item = _item({
            "pk": run_pk(flow), "sk": run_sk(run_id), "type": "run", "flow": flow, "run_id": run_id,
            "status": status, "created_at": created_at or rec.now_iso(), "namespace": namespace,
            "username": username, "parameters": json.dumps(parameters or {}, sort_keys=True, default=str),
            "origin_run_id": origin_run_id,
        })
        item["tags"] = _to_attr(list(tags))
        try:
            self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
            return True
        except Exception as exc:
            if error_code(exc) == "ConditionalCheckFailedException":
                return False  # idempotent: the first record stays
            if is_boto_error(exc):
                raise translate(exc, f"{self.url}: {what}") from exc
            raise

    def update_run(self, flow: str, run_id: str, **fields: Any) -> None:
        if not fields:
            return
        rec.check_run_fields(fields)
        update = _Update()
        for name, value in fields.items():
            if name == "tags" and value is not None:
                value = list(value)
            elif name == "parameters" and value is not None:
                value = json.dumps(value, sort_keys=True, default=str)
            elif name == "error":
                value = _clip(value)
            update.set(name, value)
        if not self._update(run_pk(flow), run_sk(run_id), update, f"update run {flow}/{run_id}", "attribute_exists(pk)"):
            raise NotFoundError(f"run {flow}/{run_id} does not exist in {self.url}")

    def get_run(self, flow: str, run_id: str) -> Optional[Dict[str, Any]]:
        item = self._get(run_pk(flow), run_sk(run_id), f"get run {flow}/{run_id}")
        return _run_record(item) if item else None

    def list_runs(self, flow: str) -> List[Dict[str, Any]]:
        # One Query on the flow's partition; sfn- run ids do not sort by time, so order by created_at here.
        items = self._query(run_pk(flow), "RUN#", f"list runs of {flow}", forward=False)
        return rec.sort_runs([_run_record(i) for i in items])

    def list_flows(self) -> List[str]:
        return sorted(_plain(i).get("flow") or i["sk"]["S"][len("FLOW#"):] for i in self._query(flow_pk(), "FLOW#", "list flows"))

    # -- tasks and attempts ------------------------------------------------------------------
    def _identity(self, update: _Update, flow: str, run_id: str, step: str, task_id: str, kind: str) -> _Update:
        return (update.set("type", kind).set("flow", flow).set("run_id", run_id)
                .set("step", step).set("task_id", task_id))

    def start_attempt(
        self,
        flow: str,
        run_id: str,
        step: str,
        task_id: str,
        attempt: int,
        *,
        started_at: Optional[str] = None,
        info: Optional[Dict[str, Any]] = None,
    ) -> None:
        started_at = started_at or rec.now_iso()
        attempt = int(attempt)
        pathspec = f"{flow}/{run_id}/{step}/{task_id}"
        self._call("put_item", f"start attempt {attempt} of {pathspec}", Item=_item({
            "pk": task_pk(flow, run_id), "sk": attempt_sk(step, task_id, attempt), "type": "attempt",
            "flow": flow, "run_id": run_id, "step": step, "task_id": task_id, "attempt": attempt,
            "status": RUNNING, "started_at": started_at,
            "info": json.dumps(info, sort_keys=True, default=str) if info else None,
        }))
        update = self._identity(_Update(), flow, run_id, step, task_id, "task")
        update.set("status", RUNNING).set("attempt", attempt).set("started_at", started_at, if_absent=True)
        update.remove("finished_at")
        self._update(task_pk(flow, run_id), task_sk(step, task_id), update, f"start task {pathspec}")

    def finish_attempt(
        self,
        flow: str,
        run_id: str,
        step: str,
        task_id: str,
        attempt: int,
        *,
        status: str,
        finished_at: Optional[str] = None,
        cardinality: Optional[int] = None,
        choice: Optional[str] = None,
        next_visit: Optional[int] = None,
        error: Optional[str] = None,
    ) -> None:
        finished_at = finished_at or rec.now_iso()
        attempt = int(attempt)
        pathspec = f"{flow}/{run_id}/{step}/{task_id}"
        update = self._identity(_Update(), flow, run_id, step, task_id, "attempt")
        update.set("attempt", attempt).set("status", status).set("finished_at", finished_at).set("error", _clip(error))
        self._update(task_pk(flow, run_id), attempt_sk(step, task_id, attempt), update,
                     f"finish attempt {attempt} of {pathspec}")
        update = self._identity(_Update(), flow, run_id, step, task_id, "task")
        update.set("status", status).set("attempt", attempt).set("finished_at", finished_at)
        if status == SUCCEEDED:
            update.set("successful_attempt", attempt)
            if cardinality is not None:
                update.set("cardinality", int(cardinality))
            if choice is not None:
                update.set("choice", str(choice))
            if next_visit is not None:
                update.set("next_visit", int(next_visit))
        self._update(task_pk(flow, run_id), task_sk(step, task_id), update, f"finish task {pathspec}")

    def get_task(self, flow: str, run_id: str, step: str, task_id: str) -> Optional[Dict[str, Any]]:
        item = self._get(task_pk(flow, run_id), task_sk(step, task_id), f"get task {flow}/{run_id}/{step}/{task_id}")
        return _task_record(item) if item else None

    def list_tasks(self, flow: str, run_id: str, step: Optional[str] = None) -> List[Dict[str, Any]]:
        prefix = "TASK#" if step is None else f"TASK#{step}#"
        items = self._query(task_pk(flow, run_id), prefix, f"list tasks of {flow}/{run_id}")
        return sorted((_task_record(i) for i in items), key=rec.task_sort_key)

    def list_attempts(self, flow: str, run_id: str, step: str, task_id: str) -> List[Dict[str, Any]]:
        items = self._query(task_pk(flow, run_id), f"ATTEMPT#{step}#{task_id}#",
                            f"list attempts of {flow}/{run_id}/{step}/{task_id}")
        return sorted((_attempt_record(i) for i in items), key=lambda r: r["attempt"])

    # -- helpers for the AWS layer and tests -------------------------------------------------
    @staticmethod
    def key_schema() -> Tuple[Dict[str, str], ...]:
        return ({"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"})
