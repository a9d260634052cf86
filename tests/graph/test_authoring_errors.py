"""Mistakes that used to pass `check` (or crash with a traceback): one message with file:line and a fix."""
from __future__ import annotations

import textwrap

import pytest

from sfncompile.exceptions import FlowDefinitionError
from sfncompile.graph import build_graph_from_file

from .helpers import graph_of, line_of
from .test_lint import expect_error

_STEPS = """
    @step
    def end(self):
        pass
"""


def _with_end(body: str) -> str:
    """The flow class of ``body`` with an end step appended."""
    return textwrap.dedent(body).rstrip("\n") + "\n" + textwrap.indent(textwrap.dedent(_STEPS), "    ")


@pytest.mark.parametrize("name", ["next", "input", "index", "name", "foreach_stack", "merge_artifacts", "inputs"])
def test_assigning_a_reserved_name_is_rejected(tmp_path, name):
    expect_error(
        tmp_path,
        _with_end(f"""
        class F(FlowSpec):
            @step
            def start(self):
                self.{name} = 1
                self.next(self.end)
        """),
        f"step 'start' assigns self.{name}, which sfncompile reserves",
        at=f"self.{name} = 1",
        step="start",
        fix="another artifact name",
    )


@pytest.mark.parametrize("assignment", [
    "for self.end in range(2):\n    pass",
    "try:  # a step's name is never assigned on purpose, so a try does not excuse it\n"
    "    self.end = compute()\nexcept Exception:\n    pass",
])
def test_assigning_a_step_name_is_rejected(tmp_path, assignment):
    body = textwrap.indent(assignment, " " * 16)
    expect_error(
        tmp_path,
        _with_end(f"""
        class F(FlowSpec):
            @step
            def start(self):
{body}
                self.next(self.end)
        """),
        "step 'start' assigns self.end, which is step 'end'",
        at=assignment.splitlines()[0] if assignment.startswith("for") else "self.end = compute()",
        fix="self.end_value",
    )


def test_read_only_names_assigned_in_a_try_that_catches_attribute_error_are_accepted(tmp_path):
    graph = graph_of(
        tmp_path,
        _with_end("""
        class F(FlowSpec):
            alpha = Parameter("alpha", default=1)

            @step
            def start(self):
                try:
                    self.alpha = 5  # parameters are read-only: this raises AttributeError
                    raise RuntimeError("parameters should be read-only")
                except AttributeError:
                    pass
                try:
                    self.next = None
                except (ValueError, Exception):
                    pass
                self.next(self.end)
        """),
    )
    assert [p.attribute for p in graph.parameters] == ["alpha"]
    # ...but not in a try whose handlers cannot catch it
    expect_error(
        tmp_path,
        _with_end("""
        class F(FlowSpec):
            alpha = Parameter("alpha", default=1)

            @step
            def start(self):
                try:
                    self.alpha = 5
                except KeyError:
                    pass
                self.next(self.end)
        """),
        "step 'start' assigns self.alpha, which is parameter 'alpha'",
        at="self.alpha = 5",
    )


def test_only_the_parameter_attribute_is_reserved(tmp_path):
    graph = graph_of(
        tmp_path,
        _with_end("""
        class F(FlowSpec):
            who = Parameter("name", default="x")
            size = Parameter("test-size", default=0.2)
            nxt = Parameter("next", default=1)

            @step
            def start(self):
                self.next(self.end)
        """),
    )
    assert [(p.name, p.attribute) for p in graph.parameters] == [("name", "who"), ("test-size", "size"), ("next", "nxt")]
    expect_error(
        tmp_path,
        _with_end("""
        class F(FlowSpec):
            a = Parameter("test-size", default=0.2)
            b = Parameter("test_size", default=0.3)

            @step
            def start(self):
                self.next(self.end)
        """),
        "parameters 'test-size' and 'test_size' are both --test-size on the command line",
        at='b = Parameter("test_size"',
    )


def test_parameter_type_list_and_bad_separator(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            xs = Parameter("xs", type=list)
        """,
        "Parameter('xs'): type=list is not a parameter type",
        at='xs = Parameter("xs", type=list)',
        fix="type=JSONType",
    )
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            n = Parameter("n", default=1, separator=",")
        """,
        "separator= needs a non-empty string and a str parameter",
        at="separator=",
    )


@pytest.mark.parametrize(
    "body,message,at",
    [
        (
            """
            class F(FlowSpec):
                start = step(lambda self: self.next(self.end))
            """,
            "step 'start' is not a `def` of the flow class: it is a lambda",
            "start = step(lambda",
        ),
        (
            """
            @step
            def helper(self):
                self.next(self.end)

            class F(FlowSpec):
                start = helper
            """,
            "step 'start' is not a `def` of the flow class: it is function 'helper' bound to 'start'",
            "@step",
        ),
        (
            """
            class F(FlowSpec):
                @step
                async def start(self):
                    self.next(self.end)
            """,
            "step 'start' is an `async def`",
            "async def start",
        ),
        (
            """
            class F(FlowSpec):
                @step
                @staticmethod
                def start():
                    pass
            """,
            "@step must decorate a `def`, got staticmethod",
            "@step",
        ),
    ],
)
def test_a_step_that_is_not_a_def(tmp_path, body, message, at):
    expect_error(tmp_path, _with_end(body), message, at=at)


@pytest.mark.parametrize(
    "source,extra,message,at,fix",
    [
        ("import sklearnx_not_installed\n", None, "no module named 'sklearnx_not_installed'",
         "import sklearnx", "pip install sklearnx_not_installed"),
        ("value = undefined_thing + 1\n", None, "name 'undefined_thing' is not defined",
         "value = undefined_thing", "define or import 'undefined_thing'"),
        ("import broken_helper_mod\n", "x = 1\ndef broken(:\n    pass\n", "syntax error", "def broken(:", "--debug"),
        ("raise RuntimeError('no data')\n", None, "importing", "raise RuntimeError", "--debug"),
    ],
)
def test_a_flow_file_whose_import_fails(tmp_path, source, extra, message, at, fix):
    flow = tmp_path / "importing_flow.py"
    flow.write_text("from sfncompile import FlowSpec, step\n" + source)
    where = flow
    if extra is not None:
        where = tmp_path / "broken_helper_mod.py"
        where.write_text(extra)
    with pytest.raises(FlowDefinitionError) as info:
        build_graph_from_file(str(flow))
    err = info.value
    assert message in str(err) and fix in str(err), str(err)
    assert (err.file, err.line) == (str(where), line_of(str(where), at)), str(err)
    assert isinstance(err.__cause__, Exception)  # --debug shows the original traceback


def test_a_flow_file_run_as_a_script_whose_import_fails(tmp_path):
    """`python flow.py run`: module-level code runs before sfncompile's CLI; still one line, no traceback."""
    import subprocess
    import sys

    flow = tmp_path / "script_flow.py"
    flow.write_text(
        "from sfncompile import FlowSpec, step\n"
        "import sklearnx_not_installed\n\n\n"
        "class ScriptFlow(FlowSpec):\n"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n\n\n"
        'if __name__ == "__main__":\n    ScriptFlow()\n'
    )
    proc = subprocess.run([sys.executable, str(flow), "run"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr, proc.stderr
    assert f"{flow}:2: importing script_flow.py failed: no module named 'sklearnx_not_installed'" in proc.stderr
    proc = subprocess.run([sys.executable, str(flow), "run", "--debug"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" in proc.stderr
    # a plain script that imports sfncompile keeps Python's own traceback
    plain = tmp_path / "plain.py"
    plain.write_text("import sfncompile\nraise ValueError('plain script')\n")
    proc = subprocess.run([sys.executable, str(plain)], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 1 and "Traceback" in proc.stderr and "ValueError: plain script" in proc.stderr

