"""Every graph rule: a broken flow, and the one message it gets (file:line, step, fix)."""
from __future__ import annotations

import pytest

from sfncompile.exceptions import FlowDefinitionError
from sfncompile.graph import build_graph_from_file

from .helpers import line_of, write_flow


def expect_error(tmp_path, body: str, message: str, *, at: str = "", step: str = "", fix: str = ""):
    path = write_flow(tmp_path, body)
    with pytest.raises(FlowDefinitionError) as info:
        build_graph_from_file(path)
    err = info.value
    text = str(err)
    assert message in text, text
    if at:
        assert err.file == path, text
        assert err.line == line_of(path, at), text
        assert f"{path}:{err.line}" in text
    if step:
        assert err.step == step and f"(step '{step}')" in text, text
    if fix:
        assert "fix:" in text and fix in text, text
    return err


def test_no_start(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def begin(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "the flow has no 'start' step",
        fix="@step def start(self)",
    )


def test_no_end(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.finish)

            @step
            def finish(self):
                pass
        """,
        "the flow has no 'end' step",
    )


def test_next_to_unknown_step(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.trian)

            @step
            def end(self):
                pass
        """,
        "self.next goes to 'trian', which is not a step of this flow",
        at="self.next(self.trian)",
        step="start",
        fix="steps are: start, end",
    )


def test_next_to_non_step_attribute(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.helper)

            def helper(self):
                pass

            @step
            def end(self):
                pass
        """,
        "self.next goes to 'helper', which is not a step of this flow",
        step="start",
        fix="decorate 'helper' with @step",
    )


def test_step_without_next(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.x = 1

            @step
            def end(self):
                pass
        """,
        "step 'start' never calls self.next",
        at="def start",
        step="start",
    )


def test_code_after_next(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)
                self.late = 1

            @step
            def end(self):
                pass
        """,
        "step 'start' has code after self.next",
        at="self.late = 1",
        step="start",
    )


def test_two_next_calls(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                if self.x:
                    self.next(self.a)
                self.next(self.end)

            @step
            def a(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "calls self.next more than once",
        at="self.next(self.end)",
        step="start",
        fix="use a switch",
    )


def test_next_inside_block(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                for _ in range(1):
                    self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "is inside a block",
        at="self.next(self.end)",
        step="start",
    )


def test_end_with_next(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                self.next(self.start)
        """,
        "the end step calls self.next",
        step="end",
    )


def test_branch_never_joins(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.end)

            @step
            def b(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "two branches of one split",
        step="end",
        fix="def end(self, inputs)",
    )


def test_foreach_never_joins(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.items = [1, 2]
                self.next(self.work, foreach="items")

            @step
            def work(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "the split in step 'start' never joins",
        at="self.next(self.work",
        step="start",
    )


def test_branch_joins_at_wrong_step(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.join_a)

            @step
            def b(self):
                self.next(self.after)

            @step
            def join_a(self, inputs):
                self.next(self.after)

            @step
            def after(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "branch(es) b of the split in 'start' never reach its join 'join_a'",
        step="start",
    )


def test_join_of_two_different_splits(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.items = [1]
                self.next(self.each, foreach="items")

            @step
            def each(self):
                self.next(self.join)

            @step
            def b(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "joins steps from different splits",
        at="def join",
        step="join",
    )


def test_join_without_inputs(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a, self.b)

            @step
            def a(self):
                self.next(self.join)

            @step
            def b(self):
                self.next(self.join)

            @step
            def join(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "a step where branches meet is a join",
        at="def join",
        step="join",
        fix="def join(self, inputs)",
    )


def test_inputs_on_non_join(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.middle)

            @step
            def middle(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "step 'middle' takes inputs but does not follow a branch or foreach",
        at="def middle",
        step="middle",
    )


def test_cycle_without_switch(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a)

            @step
            def a(self):
                self.next(self.b)

            @step
            def b(self):
                self.next(self.a)

            @step
            def end(self):
                pass
        """,
        "the flow has a cycle: 'b' goes back to 'a' without a switch",
        step="b",
        fix="through a switch case",
    )


def test_self_loop_without_switch(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.start)

            @step
            def end(self):
                pass
        """,
        "self.next goes to 'start'",
        step="start",
    )


def test_unreachable_step(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def orphan(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "step 'orphan' is unreachable from start",
        at="def orphan",
        step="orphan",
    )


def test_switch_case_not_a_step(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.mode = "a"
                self.next({"a": self.end, "b": "end"}, condition="mode")

            @step
            def end(self):
                pass
        """,
        "switch case 'b' does not name a step",
        at="self.next({",
        step="start",
    )


def test_switch_case_to_unknown_step(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.mode = "a"
                self.next({"a": self.end, "b": self.helper}, condition="mode")

            def helper(self):
                pass

            @step
            def end(self):
                pass
        """,
        "self.next goes to 'helper', which is not a step of this flow",
        step="start",
    )


def test_switch_without_condition(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next({"a": self.end})

            @step
            def end(self):
                pass
        """,
        "needs condition='attr'",
        step="start",
    )


def test_loop_across_foreach_boundary(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.items = [1]
                self.next(self.work, foreach="items")

            @step
            def work(self):
                self.again = "no"
                self.next({"yes": self.start, "no": self.join}, condition="again")

            @step
            def join(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "loops back to 'start' across a branch or foreach boundary",
        step="work",
    )


@pytest.mark.parametrize(
    "clash,message",
    [
        ("start", "'start' is defined twice in the flow class"),
        ("next", "parameter attribute 'next' is reserved"),
        ("x", "step 'start' assigns self.x, which is parameter 'x'"),
    ],
)
def test_parameter_clashes(tmp_path, clash, message):
    expect_error(
        tmp_path,
        f"""
        class F(FlowSpec):
            {clash} = Parameter("{clash}", default=1)

            @step
            def start(self):
                self.x = 2
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        message,
    )


def test_decorator_on_non_step(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @retry(times=2)
            def helper(self):
                pass

            @step
            def end(self):
                pass
        """,
        "@retry is applied to 'helper', which is not a step",
        at="@retry(times=2)",
        fix="put @retry above @step",
    )


def test_decorator_below_step(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            @catch(var="err")
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "@catch is applied to 'start', which is not a step",
        at='@catch(var="err")',
    )


def test_unknown_decorator_argument(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @retry(tims=2)
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "@retry got unknown argument(s) tims",
        at="@retry(tims=2)",
        fix="times, minutes_between_retries",
    )


def test_bad_decorator_value(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @resources(memory="lots")
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "@resources(memory=...) must be an integer",
        step="start",
    )


def test_unknown_schedule_argument(tmp_path):
    expect_error(
        tmp_path,
        """
        @schedule(cron="0 1 * * ? *", tz="UTC")
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        "@schedule got unknown argument(s) tz",
        at="@schedule(",
    )


@pytest.mark.parametrize(
    "call,message",
    [
        ("self.next(self.end, retries=2)", "unsupported argument retries"),
        ("self.next(self.end, foreach=name)", "must be a string literal"),
        ("self.next(self.a, self.end, foreach='xs')", "a foreach goes to exactly one step"),
        ("self.next(getattr(self, 'end'))", "is not a step of this flow"),
        ("self.next()", "names no step"),
        ("self.next(self.end, self.end)", "names the same step twice"),
        ("self.next(self.end, condition='x')", "condition= needs a dict of cases"),
    ],
)
def test_unsupported_transitions(tmp_path, call, message):
    expect_error(
        tmp_path,
        f"""
        class F(FlowSpec):
            @step
            def start(self):
                {call}

            @step
            def a(self):
                self.next(self.end)

            @step
            def end(self):
                pass
        """,
        message,
        at=call,
        step="start",
    )


def test_crossing_loops(tmp_path):
    expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.a)

            @step
            def a(self):
                self.next(self.b)

            @step
            def b(self):
                self.k = "go"
                self.next({"back": self.a, "go": self.c}, condition="k")

            @step
            def c(self):
                self.k = "done"
                self.next({"back": self.b, "done": self.end}, condition="k")

            @step
            def end(self):
                pass
        """,
        "overlap without one containing the other",
    )


def test_error_message_shape_has_file_line_step_and_fix(tmp_path):
    err = expect_error(
        tmp_path,
        """
        class F(FlowSpec):
            @step
            def start(self):
                self.next(self.nope)

            @step
            def end(self):
                pass
        """,
        "not a step of this flow",
    )
    first, second = str(err).splitlines()
    assert first.startswith(err.file + ":") and "(step 'start'):" in first
    assert second.strip().startswith("fix:")
