"""Artifact values as plain JSON, the same way for Metaflow's client and ours.

The expectations file is recorded from Metaflow's client and compared with what
sfncompile's client returns, so both sides go through this one function. It must
import nothing beyond the standard library: the recorder runs it in Metaflow's
environment and the tests in ours. pandas and numpy objects are recognised by
their methods, so neither needs to be installed to import this module.
"""
from __future__ import annotations

import datetime
import decimal
import fractions
import hashlib
import json
import math
from typing import Any

# Floats are compared to this many significant digits: enough to catch a wrong
# result, not so many that a last-bit difference between BLAS builds matters.
FLOAT_DIGITS = 9

# A list whose JSON is longer than this is kept as its length and a digest (a data
# set, a feature matrix): equality is still exact, the expectations file stays small.
LONG_JSON = 2000

# Both clients hand back a caught exception as an object of one of these classes.
CAUGHT_EXCEPTION_CLASSES = ("MetaflowExceptionWrapper", "CaughtException")


def _float(value: float) -> Any:
    if math.isnan(value):
        return {"__float__": "nan"}
    if math.isinf(value):
        return {"__float__": "inf" if value > 0 else "-inf"}
    return float(f"{value:.{FLOAT_DIGITS}g}")


def normalize(value: Any) -> Any:
    """A JSON value that says what ``value`` is, keeping the distinctions a flow can observe."""
    return compact(_plain(value))


def compact(plain: Any) -> Any:
    """``plain`` (already normalized) with every long list replaced by its length and sha256."""
    if isinstance(plain, list):
        text = json.dumps(plain, sort_keys=True)
        if len(text) > LONG_JSON:
            return {"__long__": {"length": len(plain), "sha256": hashlib.sha256(text.encode()).hexdigest()}}
        return [compact(v) for v in plain]
    if isinstance(plain, dict):
        return {k: compact(v) for k, v in plain.items()}
    return plain


def _plain(value: Any) -> Any:
    """The JSON form of one value (before long lists are compacted)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return _float(value)
    if isinstance(value, bytes):
        return {"__bytes__": value.hex()}
    if isinstance(value, tuple):
        return {"__tuple__": [_plain(v) for v in value]}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"__set__": sorted((_plain(v) for v in value), key=repr)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {"__dict__": {k: _plain(v) for k, v in value.items()}}
        return {"__dict_items__": [[_plain(k), _plain(v)] for k, v in value.items()]}
    if isinstance(value, (datetime.date, datetime.time, decimal.Decimal, fractions.Fraction)):
        return {"__repr__": repr(value)}
    kind = type(value).__name__
    if kind in CAUGHT_EXCEPTION_CLASSES:
        qualified = str(getattr(value, "type", ""))
        message = getattr(value, "message", None)
        if message is None:
            message = getattr(value, "exception", "")
        return {"__caught__": qualified.rsplit(".", 1)[-1], "message": str(message)}
    if kind == "DataFrame" and hasattr(value, "to_dict"):
        return {
            "__dataframe__": {
                "columns": [_plain(c) for c in value.columns],
                "index": [_plain(i) for i in value.index.tolist()],
                "data": [_plain(row) for row in value.to_numpy().tolist()],
            }
        }
    if kind == "Series" and hasattr(value, "to_dict"):
        return {
            "__series__": {
                "name": _plain(value.name),
                "index": [_plain(i) for i in value.index.tolist()],
                "values": [_plain(v) for v in value.tolist()],
            }
        }
    if kind == "ndarray" and hasattr(value, "tolist"):
        return {"__ndarray__": {"shape": list(value.shape), "values": _plain(value.tolist())}}
    if hasattr(value, "item") and hasattr(value, "dtype"):  # a numpy scalar
        return _plain(value.item())
    # Anything else (a fitted model, a user class): its class name is what both sides can agree on.
    return {"__object__": kind}
