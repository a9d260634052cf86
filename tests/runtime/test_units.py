"""Small pieces of the runtime: output capture, parameter plumbing, caught exceptions."""
from __future__ import annotations

import json
import os
import pickle
import subprocess
import sys

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


CAPTURE_SCRIPT = r"""
import json, os, sys
from sfncompile.runtime.capture import Capture, prepare_capture
echo = sys.argv[1] == "echo"
prepare_capture(echo)
threads = [len(os.listdir("/proc/self/task"))]
capture = Capture("[F/1/s/0] ", echo=echo)
with capture:
    print("from print")
    os.write(1, "fd 1: \u00e9\n".encode())
    sys.stderr.write("to stderr\n")
    os.system("echo from a subprocess; echo sub err 1>&2")
    capture.stderr.record("TRACEBACK\n")
    threads.append(len(os.listdir("/proc/self/task")))
print(json.dumps({"out": capture.stdout.text(), "err": capture.stderr.text(), "threads": threads}))
"""


@pytest.mark.parametrize("mode", ["quiet", "echo"])
def test_capture_keeps_every_writer_in_order(mode):
    """Without echo the capture reads anonymous files at the end (no thread, no pipe); with echo a
    reader thread tees the pipes. Both keep print, raw descriptor writes and subprocesses, and a
    recorded traceback comes after what the step wrote before it."""
    done = subprocess.run([sys.executable, "-c", CAPTURE_SCRIPT, mode], capture_output=True, text=True, check=True)
    lines = done.stdout.splitlines()
    got = json.loads(lines[-1])
    assert got["out"] == "from print\nfd 1: \u00e9\nfrom a subprocess\n"
    assert got["err"] == "to stderr\nsub err\nTRACEBACK\n"
    if mode == "quiet":
        assert got["threads"] == [1, 1], got  # the task process starts no thread
        assert lines[:-1] == [] and done.stderr == ""
    else:
        assert got["threads"] == [2, 2], got  # one reader thread, readied before the task
        assert "[F/1/s/0] from print" in lines and "[F/1/s/0] from a subprocess" in lines
        assert "[F/1/s/0] sub err" in done.stderr.splitlines()


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


def test_the_start_task_names_an_execution_by_its_arn():
    from sfncompile.runtime.execution_input import execution_region

    assert execution_region("arn:aws:states:eu-west-1:123456789012:execution:sfncompile-dev-F:e-1") == "eu-west-1"
    for bad in ("e-1", "arn:aws:states:eu-west-1:123456789012:stateMachine:sfncompile-dev-F",
                "arn:aws:states::123456789012:execution:m:e"):
        with pytest.raises(ParameterError, match="is not the ARN of a Step Functions execution"):
            execution_region(bad)
    with pytest.raises(ParameterError, match="^the input of execution X must be a JSON object"):
        parameters_from_json("[1]", "the input of execution X")


def test_a_start_task_its_stage_may_not_let_read_the_input_says_to_update_the_infra():
    from botocore.exceptions import ClientError

    from sfncompile.exceptions import ConfigError
    from sfncompile.runtime.execution_input import execution_parameters

    arn = "arn:aws:states:eu-west-1:123456789012:execution:sfncompile-dev-F:e-1"

    class Denying:
        def describe_execution(self, executionArn):
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "DescribeExecution")

    with pytest.raises(ConfigError) as denied:
        execution_parameters(arn, client=Denying())
    assert denied.value.message == f"the start task cannot read the input of execution {arn}: AccessDeniedException"
    assert "cdk deploy" in denied.value.fix and "states:DescribeExecution" in denied.value.fix

    class Reading:
        def describe_execution(self, executionArn):
            return {"executionArn": executionArn, "input": '{"parameters": {"alpha": 0.5}}'}

    assert execution_parameters(arn, client=Reading()) == {"alpha": 0.5}


def test_caught_exception_pickles_without_the_flow_and_reads_well():
    try:
        raise KeyError("k")
    except KeyError as exc:
        caught = CaughtException.from_exception(exc, "Traceback...\nKeyError: 'k'\n", "s", "F/1/s/0")
    again = pickle.loads(pickle.dumps(caught))
    assert again == caught and again.type == "KeyError" and str(again) == "KeyError: 'k'"
    assert short_error("Traceback (most recent call last):\n  File x\nValueError: bad\n  fix: do this\n") == "ValueError: bad"
