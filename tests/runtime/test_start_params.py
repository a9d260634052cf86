"""The start task trusts IncludeFile content only by datastore reference.

The execution input is written by whoever starts the machine: a path in it must never
make the container read a file of its own image, and ``__files__`` must have the shape
run start writes.
"""
from __future__ import annotations

import pytest

from sfncompile import FlowSpec, IncludeFile, Parameter, step
from sfncompile.exceptions import ParameterError
from sfncompile.runtime.params import start_task_parameters

SHA = "a" * 64


def _flow(default=None):
    class NotesFlow(FlowSpec):
        notes = IncludeFile("notes", default=default)
        alpha = Parameter("alpha", default=1)

        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    return NotesFlow


def test_a_path_from_the_input_is_never_read(tmp_path):
    secret = tmp_path / "secret"
    secret.write_text("do not read me")
    with pytest.raises(ParameterError, match="carries no stored content"):
        start_task_parameters(_flow(), {"notes": str(secret)})


def test_stored_content_is_carried_by_reference():
    entry = {"sha": SHA, "size": 3, "type": "str"}
    by_attr, entries = start_task_parameters(_flow(), {"notes": "x.txt", "__files__": {"notes": entry}})
    assert entries == {"notes": entry} and by_attr["alpha"] == 1


def test_the_flows_own_default_is_read(tmp_path):
    default = tmp_path / "default.txt"
    default.write_text("shipped")
    by_attr, entries = start_task_parameters(_flow(str(default)), {})
    assert by_attr["notes"] == "shipped" and entries == {}


@pytest.mark.parametrize("files, message", [
    ([1, 2], "must be an object"),
    ({"alpha": {"sha": SHA, "size": 1, "type": "int"}}, "not an IncludeFile parameter"),
    ({"other": {"sha": SHA, "size": 1, "type": "str"}}, "not an IncludeFile parameter"),
    ({"notes": {"sha": "../../etc/passwd", "size": 1, "type": "str"}}, "64 hex digits"),
    ({"notes": {"sha": SHA, "size": "1", "type": "str"}}, "64 hex digits"),
    ({"notes": {"sha": SHA, "size": 1, "type": "str", "path": "/etc"}}, "64 hex digits"),
])
def test_files_in_the_input_are_validated(files, message):
    with pytest.raises(ParameterError, match=message):
        start_task_parameters(_flow(), {"__files__": files})
