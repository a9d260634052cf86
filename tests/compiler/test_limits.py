"""Each check the compiler makes itself, with the message it gives."""
from __future__ import annotations

import copy
import json
import textwrap
from dataclasses import replace
from types import MappingProxyType

import pytest

from sfncompile.compiler import DeploySettings, check_definition_size, compile_flow, substitute
from sfncompile.compiler.builder import Builder
from sfncompile.compiler.limits import verify_definition
from sfncompile.compiler.serialize import to_json
from sfncompile.compiler.size import ASSUMED_VALUES, HEADER_BYTES, MAX_DEFINITION_BYTES, deployed_size, request_bytes
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


def linear_flow(steps: int) -> str:
    """start -> s1 -> ... -> end: ``steps`` steps in a line."""
    names = ["start"] + [f"s{i}" for i in range(1, steps - 1)] + ["end"]
    lines = ["class LongFlow(FlowSpec):"]
    for name, nxt in zip(names, names[1:]):
        lines += ["    @step", f"    def {name}(self):", f"        self.next(self.{nxt})", ""]
    return "\n".join(lines + ["    @step", "    def end(self):", "        pass", ""])


def test_long_linear_flow_within_the_last_fifth_of_the_limit_compiles_with_a_warning(tmp_path):
    """2,800 steps: about 360 bytes a step in the CreateStateMachine request (the definition
    escaped as a string: ~307 bytes of compact definition plus its escaped quotes)."""
    path = tmp_path / "long.py"
    path.write_text("from sfncompile import FlowSpec, step\n\n" + linear_flow(2800))
    graph = build_graph_from_file(str(path))
    result = compile_flow(graph)
    size = deployed_size(result.definition, graph.name)
    assert MAX_DEFINITION_BYTES * 0.9 < size <= MAX_DEFINITION_BYTES
    [warning] = result.warnings
    assert f"the definition is {size:,} bytes as deployed, 96% of Step Functions' limit" in warning.message
    assert warning.fix == "split the flow: its 2,800 steps take about 360 bytes each, and about 2,909 fit in one state machine"


def test_a_definition_under_one_mebibyte_whose_request_is_over_it_is_an_error(tmp_path):
    """3,000 steps: the compact definition, ARNs filled in, is ~88% of 1 MiB, but the request that
    carries it as a JSON string is over Step Functions' 1 MB request quota: deploy would fail."""
    path = tmp_path / "long.py"
    path.write_text("from sfncompile import FlowSpec, step\n\n" + linear_flow(3000))
    graph = build_graph_from_file(str(path))
    with pytest.raises(CompileError) as err:
        compile_flow(graph)
    assert "escaped as a string in the CreateStateMachine request); Step Functions accepts at most 1,048,576" \
        in err.value.message
    definition = Builder(graph, DeploySettings()).build()
    filled, _ = substitute(definition, dict(ASSUMED_VALUES, FlowName=graph.name))
    assert len(to_json(filled).encode("utf-8")) < MAX_DEFINITION_BYTES * 0.9  # what the check measured before


def foreach_chain_flow(tmp_path, steps: int, decorator: str = "") -> str:
    """start (a foreach) -> b1 -> ... -> b<steps> -> join -> end; ``decorator`` on every b step."""
    names = [f"b{i}" for i in range(1, steps + 1)] + ["join"]
    lines = ["class ChainFlow(FlowSpec):", "    @step", "    def start(self):", "        self.xs = [1]",
             "        self.next(self.b1, foreach='xs')", ""]
    for name, nxt in zip(names, names[1:]):
        lines += [f"    {decorator}"] if decorator else []
        lines += ["    @step", f"    def {name}(self):", f"        self.next(self.{nxt})", ""]
    lines += ["    @step", "    def join(self, inputs):", "        self.next(self.end)", "",
              "    @step", "    def end(self):", "        pass", ""]
    return write_flow(tmp_path, "\n".join(lines))


def test_definition_over_one_mebibyte_names_the_foreach_to_change(tmp_path):
    """An outer 'auto' foreach holds its body twice: the fix names that step."""
    path = foreach_chain_flow(tmp_path, 1500)
    graph = build_graph_from_file(path)
    with pytest.raises(CompileError) as err:
        compile_flow(graph)
    assert "bytes as deployed (ARNs filled in, escaped as a string in the CreateStateMachine request); " \
           "Step Functions accepts at most 1,048,576 per request" in err.value.message
    assert err.value.fix.startswith("set @foreach(mode='distributed') on step 'start': its body (")
    compile_flow(graph, DeploySettings(default_foreach_mode="distributed"))  # one copy of the body fits


def botocore_body(operation: str, request) -> bytes:
    """The body botocore serializes for a Step Functions request: what boto3 sends."""
    import botocore.session
    from botocore.serialize import create_serializer

    model = botocore.session.get_session().get_service_model("stepfunctions")
    return create_serializer(model.metadata["protocol"]).serialize_to_request(
        request, model.operation_model(operation))["body"]


def test_request_bytes_are_the_body_boto3_sends():
    """Spaces after separators, the definition's quotes escaped, non-ASCII as \\uXXXX: byte for byte."""
    definition = to_json({"StartAt": "étape", "States": {"étape": {"Type": "Pass", "Comment": 'a "b"', "End": True}}})
    request = {"name": "F", "definition": definition, "roleArn": "arn:aws:iam::1:role/r", "type": "STANDARD",
               "tags": [{"key": "k", "value": "v"}], "publish": True}
    assert request_bytes(request) == len(botocore_body("CreateStateMachine", request))
    assert request_bytes(request) > len(json.dumps(request, separators=(",", ":"), ensure_ascii=False).encode())


def test_placeholders_are_measured_as_real_arns_in_the_request():
    """compile without --config measures what deploy will send: ARNs, not ``${JobQueue}``, in
    a CreateStateMachine request as long as a real stage's, plus its signed headers."""
    from sfncompile.aws.statemachine import create_request

    definition = compile_path(example("hello.py")).definition
    filled, _ = substitute(definition, dict(ASSUMED_VALUES, FlowName="HelloFlow"))
    config = {"region": "ap-southeast-2",
              "state_machine_role_arn": "arn:aws:iam::123456789012:role/sfncompile-production-StateMachineRole-1A2B3C4D5E6F",
              "state_machine_log_group": "arn:aws:logs:ap-southeast-2:123456789012:log-group:"
                                         "sfncompile-production-StateMachineLogs-1A2B3C4D5E6F"}
    request = create_request(config, "x" * 80, to_json(filled), {"sfncompile:flow": "HelloFlow", "sfncompile:code": "0" * 12})
    assert deployed_size(definition, "HelloFlow") == len(botocore_body("CreateStateMachine", request)) + HEADER_BYTES
    assert deployed_size(definition, "HelloFlow") > len(to_json(filled).encode()) * 1.1


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
    path = foreach_chain_flow(tmp_path, 10, decorator="@retry(times=10)")
    definition = compile_flow(build_graph_from_file(path)).definition
    # 10 tasks x (2 + 4 x 11 attempts) + 2 = 462 events per item: half of 25,000 holds 27 items.
    assert definition["States"]["start mode"]["Choices"][1]["NumericLessThanEquals"] == 27


def test_nested_auto_foreach_compiles_its_body_once_per_level(tmp_path):
    """Only the outermost 'auto' foreach chooses between two Maps; nested ones are Distributed
    Maps, so the definition grows linearly with the depth instead of doubling per level."""
    sizes = []
    for depth in (2, 3, 4, 5):
        path = tmp_path / f"deep{depth}.py"
        path.write_text("from sfncompile import FlowSpec, step\n\n" + nested_foreach_flow(depth))
        definition = compile_flow(build_graph_from_file(str(path))).definition
        sizes.append(len(json.dumps(definition, separators=(",", ":"))))
    steps = [b - a for a, b in zip(sizes, sizes[1:])]
    assert max(steps) - min(steps) < 0.1 * min(steps), f"not linear: {sizes}"
    outer = definition["States"]
    assert outer["start mode"]["Type"] == "Choice"
    for copy_of_body in (outer["start inline"], outer["start distributed"]):
        inner = copy_of_body["ItemProcessor"]["States"]
        [nested] = [s for s in inner.values() if s["Type"] == "Map"]
        assert nested["ItemProcessor"]["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
        assert not any(name.startswith("s1 mode") for name in inner)


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



# -- a Batch job's container overrides --------------------------------------------------


ENV_FLOW = """
from sfncompile import environment

class EnvFlow(FlowSpec):
    @step
    def start(self):
        self.next(self.work)

    @environment(vars={"CONFIG": "x" * SIZE})
    @step
    def work(self):
        self.next(self.end)

    @step
    def end(self):
        pass
"""


def test_environment_variables_past_what_ecs_takes_as_overrides_are_a_compile_error(tmp_path):
    """ECS runs a Batch job only with 8,192 characters of container overrides (Batch accepts the
    job, which then fails): a 9,000-character @environment value is refused at compile time."""
    path = write_flow(tmp_path, ENV_FLOW.replace("SIZE", "9000"))
    with pytest.raises(CompileError) as err:
        compile_flow(build_graph_from_file(path))
    assert err.value.message.startswith(f"{path}:13 (step 'work'): its Batch job's container overrides")
    assert "ECS runs a Batch job only with at most 8,192" in err.value.message
    compile_flow(build_graph_from_file(write_flow(tmp_path, ENV_FLOW.replace("SIZE", "7000"), "fits.py")))


def test_submit_job_payload_is_the_body_boto3_sends():
    """Batch's 30 KiB is measured on the REST-JSON body botocore writes for SubmitJob, byte for byte."""
    import botocore.session
    from botocore.serialize import create_serializer


    request = {"jobName": "start", "jobQueue": "arn:aws:batch:eu-west-1:1:job-queue/q", "jobDefinition": "jd",
               "parameters": {"s": "start", "r": "sfn-1"}, "tags": {"sfncompile:flow": "F"},
               "containerOverrides": {"command": ["sfncompile", "--params-json", '{"label":"é \\"q\\""}'],
                                      "environment": [{"name": "A", "value": "b"}]}}
    model = botocore.session.get_session().get_service_model("batch")
    body = create_serializer(model.metadata["protocol"]).serialize_to_request(
        request, model.operation_model("SubmitJob"))["body"]
    assert request_bytes(request) == len(body)
