"""The authoring API: parameters, decorators' recorded settings, current, FlowSpec helpers."""
from __future__ import annotations

import pytest

from sfncompile import FlowSpec, IncludeFile, JSONType, Parameter, current, schedule, step
from sfncompile.exceptions import FlowDefinitionError, ParameterError
from sfncompile.flow.parameters import resolve_parameters


def test_parameter_types_are_inferred_and_coerced():
    assert Parameter("a", default=0.1).type_name == "float"
    assert Parameter("b", default=2).coerce("7") == 7
    assert Parameter("c", default=False).coerce("true") is True
    assert Parameter("d", type=JSONType, default="[1, 2]").default == [1, 2]
    assert Parameter("e").type_name == "str"


@pytest.mark.parametrize(
    "param,value,message",
    [
        (Parameter("epochs", default=1), "ten", "parameter 'epochs': value 'ten' is not a valid int"),
        (Parameter("alpha", default=0.1), "x", "is not a valid float"),
        (Parameter("flag", default=True), "maybe", "is not a valid bool"),
        (Parameter("grid", type=JSONType), "[1,", "is not a valid json"),
        (Parameter("n", default=1), 1.5, "is not a valid int"),
    ],
)
def test_bad_parameter_values_are_clear(param, value, message):
    with pytest.raises(ParameterError) as info:
        param.coerce(value)
    assert message in str(info.value) and "fix: pass --" in str(info.value)


def test_resolve_parameters_required_unknown_and_defaults():
    declared = {"alpha": Parameter("alpha", default=0.1), "label": Parameter("label", required=True)}
    assert resolve_parameters(declared, {"label": "x"}) == {"alpha": 0.1, "label": "x"}
    with pytest.raises(ParameterError, match="parameter 'label' is required"):
        resolve_parameters(declared, {})
    with pytest.raises(ParameterError, match="unknown parameter"):
        resolve_parameters(declared, {"label": "x", "beta": 1})


def test_parameter_unknown_argument():
    with pytest.raises(FlowDefinitionError, match="unknown argument") as info:
        Parameter("a", defualt=1)
    assert info.value.file == __file__ and info.value.line > 0


def test_include_file_reads_text_and_reports_missing(tmp_path):
    f = tmp_path / "notes.txt"
    f.write_text("hello")
    inc = IncludeFile("notes")
    assert inc.read(str(f)) == "hello"
    assert IncludeFile("raw", is_text=False).read(str(f)) == b"hello"
    with pytest.raises(ParameterError, match="cannot read file"):
        inc.read(str(tmp_path / "missing.txt"))


def test_schedule_records_cron_and_timezone():
    @schedule(cron="0 6 * * ? *", timezone="Europe/Paris")
    class Scheduled(FlowSpec):
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    assert Scheduled.__sfn_flow_decorators__["schedule"] == {"cron": "0 6 * * ? *", "timezone": "Europe/Paris"}

    @schedule(daily=True)
    class Daily(FlowSpec):
        pass

    assert Daily.__sfn_flow_decorators__["schedule"]["cron"] == "0 0 * * ? *"


@pytest.mark.parametrize(
    "kwargs,message",
    [
        ({"cron": "0 6 * * *"}, "EventBridge cron has 6"),
        ({"cron": "0 6 1 * MON *"}, "must be '?'"),
        ({"daily": True, "hourly": True}, "exactly one of"),
        ({"daily": True, "timezone": "Mars/Olympus"}, "unknown time zone"),
    ],
)
def test_schedule_errors(kwargs, message):
    with pytest.raises(FlowDefinitionError, match=message.replace("(", r"\(").replace("?", r"\?")):

        @schedule(**kwargs)
        class Bad(FlowSpec):
            pass


def test_current_outside_a_task():
    assert current.flow_name is None and current.pathspec is None
    with pytest.raises(AttributeError, match="current has no field"):
        current.nonsense


def test_next_records_transitions():
    class F(FlowSpec):
        @step
        def start(self):
            self.next(self.end)

        @step
        def end(self):
            pass

    flow = F._sfn_instance()
    flow.next({"a": flow.start, "b": flow.end}, condition="k")
    assert flow._sfn_transition.cases == {"a": "start", "b": "end"}
    with pytest.raises(RuntimeError, match="called twice"):
        flow.next(flow.end)
    with pytest.raises(AttributeError, match="reserved"):
        flow.next = 1
