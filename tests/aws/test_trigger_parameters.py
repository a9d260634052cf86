"""trigger's parameter handling, without AWS: CLI words → typed values checked by the flow's schema."""
from __future__ import annotations

import pytest

from sfncompile.aws.trigger import parse_parameter_args, typed_parameters
from sfncompile.exceptions import ParameterError

MANIFEST = {
    "flow": "F",
    "parameters": [
        {"name": "learning_rate", "type": "float"},
        {"name": "grid", "type": "json"},
    ],
    "parameters_schema": {
        "type": "object",
        "properties": {"learning_rate": {"type": "number"}, "grid": {}},
        "additionalProperties": False,
    },
}


def test_dashed_and_underscored_names_both_reach_the_parameter():
    for words in (["--learning-rate", "0.5"], ["--learning_rate=0.5"]):
        assert typed_parameters(MANIFEST, parse_parameter_args(words)) == {"learning_rate": 0.5}
    assert typed_parameters(MANIFEST, parse_parameter_args(["--grid", "[1, 2]"])) == {"grid": [1, 2]}


def test_bad_words_and_values_are_clear():
    with pytest.raises(ParameterError, match="needs a value"):
        parse_parameter_args(["--grid"])
    with pytest.raises(ParameterError, match="unexpected argument"):
        parse_parameter_args(["grid"])
    with pytest.raises(ParameterError, match="'learning_rate': 'fast' is not a valid float"):
        typed_parameters(MANIFEST, parse_parameter_args(["--learning-rate", "fast"]))
    with pytest.raises(ParameterError, match="not allowed"):
        typed_parameters(MANIFEST, parse_parameter_args(["--momentum", "1"]))
