"""Each check the compiler makes itself, with the message it gives."""
from __future__ import annotations

import copy
import textwrap
from dataclasses import replace
from types import MappingProxyType

import pytest

from sfncompile.compiler import DeploySettings, check_definition_size, compile_flow, substitute
from sfncompile.compiler.limits import MAX_DEFINITION_BYTES, verify_definition
from sfncompile.exceptions import CompileError
from sfncompile.graph import build_graph_from_file
from sfncompile.graph.ir import SWITCH, SwitchCase

from .helpers import EXAMPLES, SHAPES, compile_path


def example(name: str) -> str:
    return next(p for p in EXAMPLES if p.endswith("/" + name))


def write_flow(tmp_path, body: str, name: str = "flow.py") -> str:
    header = "from sfncompile import FlowSpec, foreach, retry, step, timeout\n\n"
    path = tmp_path / name
    path.write_text(header + textwrap.dedent(body))
    return str(path)


def nested_foreach_flow(depth: int) -> str:
    """start -> s1 -> ... -> s<depth> (each a foreach split) -> leaf -> joins -> end."""
    lines = ["class DeepFlow(FlowSpec):"]
    splits = ["start"] + [f"s{i}" for i in range(1, depth)]
    for i, name in enumerate(splits):
        nxt = splits[i + 1] if i + 1 < len(splits) else "leaf"
        lines += ["    @step", f"    def {name}(self):", "        self.xs = [1, 2]",
                  f"        self.next(self.{nxt}, foreach='xs')", ""]
    lines += ["    @step", "    def leaf(self):", f"        self.next(self.j{depth - 1})", ""]
    for i in reversed(range(depth)):
        nxt = f"j{i - 1}" if i > 0 else "end"
        lines += ["    @step", f"    def j{i}(self, inputs):", f"        self.next(self.{nxt})", ""]
    lines += ["    @step", "    def end(self):", "        pass", ""]
    return "\n".join(lines)


# -- state machine name ---------------------------------------------------------------


def test_state_machine_name_longer_than_80_characters(tmp_path):
    path = example("hello.py")
    with pytest.raises(CompileError) as err:
        compile_path(path, state_machine_name="x" * 81)
    assert "has 81 characters; Step Functions allows 80" in err.value.message
    assert "--name" in err.value.fix


@pytest.mark.parametrize("name, shown", [("my flow", "' '"), ("a/b", "'/'"), ("a:b", "':'"), ("x{y}", "'{', '}'")])
def test_state_machine_name_with_forbidden_characters(name, shown):
    path = example("hello.py")
    with pytest.raises(CompileError) as err:
        compile_path(path, state_machine_name=name)
    assert f"contains characters Step Functions rejects: {shown}" in err.value.message


def test_state_machine_name_that_execution_logging_rejects():
    path = example("hello.py")
    with pytest.raises(CompileError, match="CloudWatch execution logging rejects"):
        compile_path(path, state_machine_name="flow.prod")


# -- definition size ------------------------------------------------------------------


def test_definition_over_one_mebibyte_is_refused(tmp_path):
    path = tmp_path / "deep.py"
    path.write_text("from sfncompile import FlowSpec, step\n\n" + nested_foreach_flow(9))
    graph = build_graph_from_file(str(path))
    with pytest.raises(CompileError) as err:
        compile_flow(graph)
    assert f"Step Functions accepts at most {MAX_DEFINITION_BYTES:,}" in err.value.message
    assert "@foreach(mode=...)" in err.value.fix
    compile_flow(graph, DeploySettings(default_foreach_mode="distributed"))  # one copy per body fits


def test_size_is_checked_again_after_substitution():
    definition = compile_path(example("hello.py")).definition
    check_definition_size(definition)
    padded, _ = substitute(definition, {"JobQueue": "q" * MAX_DEFINITION_BYTES})
    with pytest.raises(CompileError, match="Step Functions accepts at most 1,048,576"):
        check_definition_size(padded)


# -- history of inline foreaches ------------------------------------------------------


def test_forced_inline_foreach_that_could_pass_the_history_limit_warns(tmp_path):
    path = write_flow(tmp_path, """
        class WideFlow(FlowSpec):
            @foreach(mode="inline")
            @step
            def start(self):
                self.xs = [1]
                self.next(self.a, foreach="xs")

            @retry(times=4)
            @step
            def a(self):
                self.next(self.b)

            @step
            def b(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
    """)
    result = compile_flow(build_graph_from_file(path))
    [warning] = result.warnings
    assert warning.step == "start"
    assert "could write 30,000 history events (30 per item x up to 1,000 items)" in warning.message
    assert "an execution fails at 25,000" in warning.message
    assert "@foreach(mode='distributed')" in warning.fix


def test_auto_foreach_narrows_its_inline_width_to_fit_the_history(tmp_path):
    body = nested_foreach_flow(3)
    path = tmp_path / "three.py"
    path.write_text("from sfncompile import FlowSpec, step\n\n" + body)
    definition = compile_flow(build_graph_from_file(str(path))).definition

    def width(container, split):  # the inline width the split's mode Choice allows
        return container["States"][f"{split} mode"]["Choices"][1]["NumericLessThanEquals"]

    outer = definition
    middle = outer["States"]["start inline"]["ItemProcessor"]
    inner = middle["States"]["s1 inline"]["ItemProcessor"]
    # One task per innermost item: the configured 40. Each outer item holds a whole
    # inline foreach of the next level, so the widths shrink to fit half of 25,000 events.
    assert width(inner, "s2") == 40
    assert width(middle, "s1") == 35
    assert width(outer, "start") == 1


# -- timeouts -------------------------------------------------------------------------


def test_timeout_below_batch_minimum_becomes_60_seconds_with_a_warning(tmp_path):
    path = write_flow(tmp_path, """
        class QuickFlow(FlowSpec):
            @timeout(seconds=20.5)
            @step
            def start(self):
                self.next(self.end)

            @step
            def end(self):
                pass
    """)
    result = compile_flow(build_graph_from_file(path))
    task = result.definition["States"]["start"]
    assert task["Parameters"]["Timeout"] == {"AttemptDurationSeconds": 60}
    assert task["TimeoutSeconds"] == 60 * 3 + 3600
    [warning] = result.warnings
    assert warning.step == "start"
    assert "@timeout of 20.5 s becomes a Batch attempt timeout of 60 s" in warning.message


# -- shapes the compiler cannot express -----------------------------------------------


def test_join_reached_from_outside_its_split_is_refused():
    graph = build_graph_from_file(next(p for p in SHAPES if p.endswith("nested_branches.py")))
    # A hand-made IR the graph builder would refuse: inside the inner split of 'left',
    # step 'l1' may also jump straight to the outer join.
    l1 = replace(
        graph["l1"], kind=SWITCH, transition=SWITCH, successors=("left_join", "join"),
        switch_cases=(SwitchCase("in", "left_join", False), SwitchCase("out", "join", False)),
    )
    bad = replace(graph, steps=MappingProxyType(dict(graph.steps, l1=l1)))
    with pytest.raises(CompileError) as err:
        compile_flow(bad)
    assert err.value.message == (
        "step 'join' joins the split in 'start' but is also reached from 'l1', outside that split; "
        "Step Functions cannot express this shape"
    )
    assert err.value.fix == "reach 'join' only from inside the branches or foreach of 'start'"


# -- verification of the compiler's own output ----------------------------------------


@pytest.fixture
def good():
    return copy.deepcopy(compile_path(example("branch.py")).definition)  # branch.py


def test_verify_accepts_compiled_output(good):
    verify_definition(good)


def test_verify_states_all_must_be_last(good):
    good["States"]["start"]["Catch"] = [{"ErrorEquals": ["States.ALL"], "Next": "end"},
                                        {"ErrorEquals": ["Custom"], "Next": "end"}]
    with pytest.raises(CompileError, match="state 'start': States.ALL must be alone in the last Catch entry"):
        verify_definition(good)


def test_verify_states_all_must_be_alone(good):
    good["States"]["start"]["Retry"].append({"ErrorEquals": ["States.ALL", "X"]})
    with pytest.raises(CompileError, match="States.ALL must be alone in the last Retry entry"):
        verify_definition(good)


def test_verify_inline_map_with_an_item_reader(good):
    good["States"]["m"] = {
        "Type": "Map", "ItemReader": {"Resource": "arn:aws:states:::s3:getObject"},
        "ItemProcessor": {"ProcessorConfig": {"Mode": "INLINE"}, "StartAt": "x", "States": {"x": {"Type": "Succeed"}}},
        "End": True,
    }
    with pytest.raises(CompileError, match="Map 'm' is inline but has an ItemReader"):
        verify_definition(good)


def test_verify_duplicate_state_names(good):
    branch = good["States"]["start branches"]["Branches"][0]
    branch["States"]["join"] = {"Type": "Succeed"}
    with pytest.raises(CompileError, match="state name 'join' is used twice"):
        verify_definition(good)


def test_verify_state_name_longer_than_80(good):
    good["States"]["n" * 81] = {"Type": "Succeed"}
    with pytest.raises(CompileError, match="has 81 characters; Step Functions allows 80"):
        verify_definition(good)


def test_verify_transition_out_of_its_container(good):
    branch = good["States"]["start branches"]["Branches"][0]
    first = branch["States"][branch["StartAt"]]
    first.pop("End", None)
    first["Next"] = "end"
    with pytest.raises(CompileError, match="goes to 'end', which is not in the same container"):
        verify_definition(good)


def test_every_verification_error_says_it_is_a_compiler_bug(good):
    good["States"]["start"]["Next"] = "nowhere"
    with pytest.raises(CompileError) as err:
        verify_definition(good)
    assert "compiler bug" in err.value.fix

