"""Small pieces of the runtime: output capture, parameter plumbing, caught exceptions."""
from __future__ import annotations

import os
import pickle

import pytest

from sfncompile.exceptions import ParameterError
from sfncompile.runtime.capture import TeeStream
from sfncompile.runtime.caught import CaughtException, short_error
from sfncompile.runtime.params import FILES_KEY, parameters_from_json, public_parameters, split_run_parameters


def test_tee_prefixes_whole_lines_and_keeps_raw_log():
    r, w = os.pipe()
    tee = TeeStream(w, "[F/1/s/0] ")
    tee.write("hel")
    tee.write("lo\nwor")
    tee.write("ld\n\nlast")
    tee.finish()
    os.close(w)
    echoed = os.read(r, 4096).decode()
    os.close(r)
    assert echoed == "[F/1/s/0] hello\n[F/1/s/0] world\n[F/1/s/0] \n[F/1/s/0] last\n"
    assert tee.text() == "hello\nworld\n\nlast"
    tee.record("not echoed")
    assert tee.text().endswith("not echoed")
    with pytest.raises(TypeError):
        tee.write(b"bytes")


def test_parameters_json_forms():
    assert parameters_from_json('{"alpha": 0.3}') == {"alpha": 0.3}
    assert parameters_from_json('{"parameters": {"alpha": 0.3}}') == {"alpha": 0.3}
    assert parameters_from_json(None) is None
    with pytest.raises(ParameterError, match="not valid JSON"):
        parameters_from_json("{")
    with pytest.raises(ParameterError, match="must be a JSON object"):
        parameters_from_json("[1]")
    values, files = split_run_parameters({"a": 1, FILES_KEY: {"f": {"sha": "x"}}})
    assert values == {"a": 1} and files == {"f": {"sha": "x"}}
    assert public_parameters({"a": 1, FILES_KEY: {}}) == {"a": 1}


def test_caught_exception_pickles_without_the_flow_and_reads_well():
    try:
        raise KeyError("k")
    except KeyError as exc:
        caught = CaughtException.from_exception(exc, "Traceback...\nKeyError: 'k'\n", "s", "F/1/s/0")
    again = pickle.loads(pickle.dumps(caught))
    assert again == caught and again.type == "KeyError" and str(again) == "KeyError: 'k'"
    assert short_error("Traceback (most recent call last):\n  File x\nValueError: bad\n  fix: do this\n") == "ValueError: bad"
