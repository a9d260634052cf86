"""@project, @trigger and @trigger_on_finish as authored: settings, names, static checks, payload admission."""
from __future__ import annotations

import os
import subprocess
import sys

import pytest

from sfncompile.aws import names
from sfncompile.exceptions import FlowDefinitionError, ParameterError
from sfncompile.flow.project import ProjectInfo, branch_name, project_info
from sfncompile.graph import build_graph_from_file

from ..conftest import ROOT

TRIGGER_FLOWS = os.path.join(ROOT, "tests", "aws", "flows", "triggers")


def _write(tmp_path, decorators: str, params: str = "") -> str:
    path = tmp_path / "flow.py"
    path.write_text(
        "from sfncompile import FlowSpec, Parameter, project, step, trigger, trigger_on_finish\n\n"
        f"{decorators}\n"
        "class DemoFlow(FlowSpec):\n"
        f"{params}"
        "    @step\n    def start(self):\n        self.next(self.end)\n\n"
        "    @step\n    def end(self):\n        pass\n"
    )
    return str(path)


def _line_of(path: str, text: str) -> int:
    with open(path) as fh:
        return next(i for i, line in enumerate(fh, 1) if text in line)


def test_project_is_recorded_on_the_flow(tmp_path):
    graph = build_graph_from_file(_write(tmp_path, '@project(name="churn")'))
    assert graph.flow_decorators["project"]["name"] == "churn"


@pytest.mark.parametrize("decorator, message", [
    ('@project(name="Churn-1")', "a project name is lower-case letters, digits and '_'"),
    ('@project(name="churn", branch="x")', "@project got unknown argument(s) branch"),
    ('@trigger(event="a", events=["b"])', "@trigger needs exactly one of event=... or events=[...]"),
    ('@trigger(events=["a", "a"])', "@trigger names an event twice"),
    ('@trigger(event="a", parameters={"alpha": 3})', "parameters must map parameter names to payload field names"),
    ('@trigger_on_finish(flow="churn.Upstream")', "is not a flow name"),
    ('@trigger_on_finish(flows=[])', "names nothing"),
])
def test_decorator_mistakes_are_one_line_errors_at_their_line(tmp_path, decorator, message):
    path = _write(tmp_path, decorator)
    with pytest.raises(FlowDefinitionError) as info:
        build_graph_from_file(path)
    assert message in str(info.value)
    assert info.value.line == _line_of(path, decorator.split("(")[0])


def test_trigger_settings_normalise_names_and_mappings(tmp_path):
    path = _write(tmp_path, '@trigger(events=["a", {"name": "b", "parameters": ["alpha"]}], parameters={"alpha": "x"})'
                            '\n@trigger_on_finish(flows=["Up", "churn.prod.Up"])',
                  '    alpha = Parameter("alpha", default=1)\n')
    decorators = build_graph_from_file(path).flow_decorators
    assert [(e["name"], e["parameters"]) for e in decorators["trigger"]["events"]] == [
        ("a", {"alpha": "x"}), ("b", {"alpha": "alpha"})]
    assert list(decorators["trigger_on_finish"]["flows"]) == ["Up", "churn.prod.Up"]


@pytest.mark.parametrize("username, branch, production, expected", [
    ("Alice.Smith", None, False, "user.alice_smith"),
    ("alice", "staging", False, "test.staging"),
    ("alice", None, True, "prod"),
    ("alice", "canary", True, "prod.canary"),
])
def test_branch_names_follow_metaflow(username, branch, production, expected):
    assert branch_name(username, branch, production) == expected


def test_branch_options_need_a_project_flow(tmp_path):
    graph = build_graph_from_file(_write(tmp_path, ""))
    with pytest.raises(FlowDefinitionError, match="has no @project"):
        project_info(graph.name, graph.flow_decorators, "alice", branch="x")
    assert project_info(graph.name, graph.flow_decorators, "alice") is None


def test_deployment_names_fit_step_functions_with_a_deterministic_hash():
    config = {"state_machine_prefix": "sfncompile-dev-"}
    short = names.project_deployment_name(config, ProjectInfo("churn", "user.alice", "TrainFlow"))
    assert short == "sfncompile-dev-churn-user-alice-TrainFlow"
    long_info = ProjectInfo("churn", "test." + "x" * 60, "TrainFlow")
    long_name = names.project_deployment_name(config, long_info)
    assert len(long_name) == 80 and long_name.startswith("sfncompile-dev-churn-test-xxx")
    assert long_name == names.project_deployment_name(config, long_info)  # deterministic
    other = names.project_deployment_name(config, ProjectInfo("churn", "test." + "x" * 60, "TrainFlow2"))
    assert other != long_name and other[:73] == long_name[:73]  # same start, different hash
    assert "." not in names.job_definition_name(short)
    for deployment in (short, long_name):
        assert len(names.rule_name(deployment, "e", 99)) <= 64
        assert len(names.trigger_role_name(deployment)) <= 64
    assert not names.rule_name("sfncompile-dev-A-B", "e", 0).startswith(names.rule_prefix("sfncompile-dev-A"))


def test_check_warns_about_an_unknown_upstream_flow_with_the_names_it_knows():
    out = subprocess.run([sys.executable, "-m", "sfncompile", "check", os.path.join(TRIGGER_FLOWS, "orphan.py")],
                         capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    warnings = [line for line in out.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, out.stderr
    assert "orphan.py:" in warnings[0] and "@trigger_on_finish names FeatureFlw" in warnings[0]
    assert "known: FeatureFlow, TrainFlow" in warnings[0]


def test_check_rejects_a_mapping_to_an_unknown_parameter(tmp_path):
    from sfncompile.graph.trigger_check import check_triggers

    path = _write(tmp_path, '@trigger(event="a", parameters={"alpah": "x"})', '    alpha = Parameter("alpha", default=1)\n')
    with pytest.raises(FlowDefinitionError) as info:
        check_triggers(build_graph_from_file(path), path)
    assert "maps payload fields to alpah, which is not a parameter of DemoFlow" in str(info.value)
    assert info.value.line == _line_of(path, "@trigger")


def test_admission_maps_the_payload_and_validates_it_against_the_json_schema():
    from sfncompile.runtime.params import TRIGGER_KEY
    from sfncompile.runtime.run_context import admit

    graph = build_graph_from_file(os.path.join(TRIGGER_FLOWS, "scorer.py"))
    event = {"type": "event", "event": "data_ready", "payload": {"lr": 0.25, "other": 1}}
    assert admit(graph, {TRIGGER_KEY: event}) == {TRIGGER_KEY: event, "alpha": 0.25}
    with pytest.raises(ParameterError, match="parameter 'alpha': 'high' is not of type number"):
        admit(graph, {TRIGGER_KEY: {**event, "payload": {"lr": "high"}}})
    with pytest.raises(ParameterError, match="is not one this flow's @trigger names"):
        admit(graph, {TRIGGER_KEY: {**event, "event": "other"}})


def test_rejected_triggers_are_recorded_once_and_listed(tmp_path):
    from sfncompile.runtime.params import TRIGGER_KEY
    from sfncompile.runtime.run_context import admit_start_task, rejected_triggers
    from sfncompile.storage.factory import open_stores

    stores = open_stores(f"local:{tmp_path}/data", f"sqlite:{tmp_path}/meta.sqlite")
    graph = build_graph_from_file(os.path.join(TRIGGER_FLOWS, "scorer.py"))
    bad = {TRIGGER_KEY: {"type": "event", "event": "data_ready", "payload": {"lr": "high"}}}
    params, reason = admit_start_task(graph, stores.objects, "sfn-1", bad)
    assert params is None and "'high' is not of type number" in reason
    assert admit_start_task(graph, stores.objects, "sfn-1", bad)[0] is None  # a retried start task
    [record] = rejected_triggers(stores.objects, "ScoreFlow")
    assert record["run_id"] == "sfn-1" and record["trigger"]["payload"] == {"lr": "high"}
    assert stores.metadata.get_run("ScoreFlow", "sfn-1") is None  # nothing started
    good = {TRIGGER_KEY: {"type": "event", "event": "refresh", "payload": {}}}
    assert admit_start_task(graph, stores.objects, "sfn-2", good) == (good, "")
    assert admit_start_task(graph, stores.objects, "sfn-3", None) == (None, "")  # a start task given no parameters


def _run(tmp_path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "SFNCOMPILE_ROOT": str(tmp_path / "store"), "SFNCOMPILE_USERNAME": "alice",
           "PYTHONPATH": ROOT}
    env.pop("SFNCOMPILE_PROJECT_BRANCH", None)
    return subprocess.run([sys.executable, "-m", "sfncompile", "run", *args, "--quiet"], capture_output=True,
                          text=True, timeout=120, env=env, cwd=str(tmp_path))


def _latest(tmp_path, flow: str):
    from sfncompile import Flow, namespace
    from sfncompile.client import backend

    os.environ["SFNCOMPILE_ROOT"] = str(tmp_path / "store")
    try:
        backend.reset()
        namespace(None)
        return Flow(flow).latest_run
    finally:
        del os.environ["SFNCOMPILE_ROOT"]
        backend.reset()


def test_a_local_run_simulates_an_event_with_trigger_payload(tmp_path):
    out = _run(tmp_path, os.path.join(TRIGGER_FLOWS, "scorer.py"), "--trigger-payload", '{"lr": 0.75}',
               "--trigger-event", "data_ready")
    assert out.returncode == 0, out.stdout + out.stderr
    run = _latest(tmp_path, "ScoreFlow")
    assert run.data.seen_alpha == 0.75 and run.data.event == "data_ready"
    bad = _run(tmp_path, os.path.join(TRIGGER_FLOWS, "scorer.py"), "--trigger-payload", '{"lr": "high"}',
               "--trigger-event", "data_ready")
    assert bad.returncode != 0 and "parameter 'alpha': 'high' is not of type number" in bad.stderr
    several = _run(tmp_path, os.path.join(TRIGGER_FLOWS, "scorer.py"), "--trigger-payload", "{}")
    assert several.returncode != 0 and "pass --trigger-event NAME" in several.stderr


def test_a_local_run_of_a_project_flow_is_on_a_branch(tmp_path):
    out = _run(tmp_path, os.path.join(TRIGGER_FLOWS, "feature.py"), "--branch", "staging")
    assert out.returncode == 0, out.stdout + out.stderr
    run = _latest(tmp_path, "FeatureFlow")
    assert {"project:churn", "project_branch:test.staging"} <= set(run.system_tags)
    assert _run(tmp_path, os.path.join(TRIGGER_FLOWS, "feature.py")).returncode == 0
    assert "project_branch:user.alice" in _latest(tmp_path, "FeatureFlow").system_tags
