"""Reading a task's control data (a switch's choice, a split's cardinality) into state.

The runtime records them on the task item (pk ``RUN#<flow>#<run>``, sk
``TASK#<step>#<task>``); a ``dynamodb:getItem`` right after the step's Batch task
reads the one attribute, with a strongly consistent read because the task has just
written it, into ``$.ctl`` (small control data, overwritten by the next one).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from ..graph.ir import StepNode
from . import intrinsics as asl
from .context import task_id_template
from .failures import idempotent_retry

CHOICE = "choice"
CARDINALITY = "cardinality"


def task_item_key(step: StepNode) -> Dict[str, Any]:
    template, args = task_id_template(step)
    sk: Dict[str, Any] = {}
    asl.put(sk, "S", f"TASK#{step.name}#{template}", args)
    return {"pk": {"S.$": asl.format_call(f"RUN#{asl.placeholder(asl.FLOW_NAME)}#{{}}", [asl.RUN])}, "sk": sk}


def read_attribute(step: StepNode, attribute: str, value: str) -> Dict[str, Any]:
    """getItem of the task item; ``value`` (an expression over ``$.Item``) lands in ``$.ctl.<attribute>``.

    The whole (small) item is read and the ResultSelector keeps one attribute, which
    avoids a ProjectionExpression and DynamoDB's reserved words.
    """
    return {
        "Type": "Task",
        "Resource": asl.DYNAMODB_GET_ITEM,
        "Parameters": {
            "TableName": asl.placeholder(asl.METADATA_TABLE),
            "Key": task_item_key(step),
            "ConsistentRead": True,
        },
        "ResultSelector": {f"{attribute}.$": value},
        "ResultPath": asl.CTL,
        "Retry": idempotent_retry(),
    }


def read_choice(step: StepNode) -> Dict[str, Any]:
    return read_attribute(step, CHOICE, f"$.Item.{CHOICE}.S")


def read_cardinality(step: StepNode) -> Dict[str, Any]:
    # DynamoDB numbers arrive as strings ({"N": "12"}); StringToJson makes them numbers.
    return read_attribute(step, CARDINALITY, asl.call("StringToJson", f"$.Item.{CARDINALITY}.N"))


def ctl_path(attribute: str) -> str:
    return f"{asl.CTL}.{attribute}"


def switch_choice(step: StepNode, targets: Sequence[str], default: str) -> Dict[str, Any]:
    """Route on the recorded choice; ``targets`` follow ``step.switch_cases``."""
    rules: List[Dict[str, Any]] = [
        {"Variable": ctl_path(CHOICE), "StringEquals": case.value, "Next": target}
        for case, target in zip(step.switch_cases, targets)
    ]
    return {"Type": "Choice", "Choices": rules, "Default": default}
