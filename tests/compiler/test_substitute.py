"""Placeholders: which ones a definition uses, and filling them (also inside intrinsics)."""
from __future__ import annotations

import json

import pytest

from sfncompile.compiler import DeploySettings, placeholders_in, substitute, to_json, values_from_config
from sfncompile.exceptions import ConfigError

from .helpers import DECORATED, EXAMPLES, compile_path, graph_of


def foreach_flow() -> str:
    return next(p for p in EXAMPLES if p.endswith("/foreach.py"))


def test_definitions_use_only_the_documented_placeholders():
    used = set()
    for path in EXAMPLES:
        used |= set(placeholders_in(compile_path(path).definition))
    assert used == {"JobQueue", "JobDefinition", "MetadataTable", "DatastoreBucket", "DatastorePrefix", "FlowName",
                    "Stack"}


def test_a_step_with_its_own_image_gets_its_own_job_definition_placeholder():
    result = compile_path(DECORATED)
    assert result.job_definitions == {
        "score_one": {"placeholder": "JobDefinition_score_one", "image": "python:3.11-slim"}
    }
    assert "JobDefinition_score_one" in placeholders_in(result.definition)


def test_substitute_fills_plain_and_intrinsic_strings():
    definition = compile_path(foreach_flow()).definition
    values = {"FlowName": "ForeachFlow", "DatastorePrefix": "it's {odd}", "DatastoreBucket": "b", "JobQueue": "q"}
    filled, missing = substitute(definition, values)
    assert missing == ("JobDefinition", "MetadataTable", "Stack")
    reader = filled["States"]["start distributed"]["ItemReader"]["Parameters"]
    assert reader["Bucket"] == "b"
    assert reader["Key.$"] == (
        "States.Format('it\\'s \\{odd\\}/ForeachFlow/runs/{}/start/0/foreach.json',$.r)"
    )
    assert filled["States"]["set up run"]["Parameters"]["q"] == "q"
    assert definition["States"]["set up run"]["Parameters"]["q"] == "${JobQueue}", "the input is not changed"


def test_values_from_config_maps_config_keys_to_placeholders():
    config = {"bucket": "b", "prefix": "/sfncompile/", "table": "t", "job_queue": "q", "job_definition": "jd",
              "region": "us-east-1", "image": "ignored"}
    assert values_from_config(config, "TrainFlow") == {
        "FlowName": "TrainFlow", "JobQueue": "q", "JobDefinition": "jd", "MetadataTable": "t",
        "DatastoreBucket": "b", "DatastorePrefix": "sfncompile",
    }


@pytest.mark.parametrize("config, message", [
    ({"prefix": "/"}, "config key 'prefix' is empty"),
    ({"table": 3}, "config key 'table' must be a string"),
])
def test_values_from_config_rejects_bad_values(config, message):
    with pytest.raises(ConfigError, match=message):
        values_from_config(config, "F")


def test_compile_time_substitution_gives_the_same_json_as_substituting_later():
    path = foreach_flow()
    values = values_from_config({"bucket": "b", "prefix": "p", "table": "t", "job_queue": "q",
                                 "job_definition": "jd", "stack": "s"}, graph_of(path).name)
    now = compile_path(path, substitutions=values).definition
    later, missing = substitute(compile_path(path).definition, values)
    assert not missing
    assert to_json(now) == to_json(later)
    assert "${" not in json.dumps(now)
    assert DeploySettings(substitutions=values).substitutions == values


def test_jobs_carry_the_flow_tag_deploy_puts_on_state_machines():
    """A job is named after its step; its flow is found by the same tag key as a deployed machine's."""
    from sfncompile.aws.statemachine import FLOW_TAG
    from sfncompile.compiler.tasks import STACK_TAG

    hello = next(p for p in EXAMPLES if p.endswith("/hello.py"))
    filled, _ = substitute(compile_path(hello).definition, {"FlowName": "HelloFlow", "Stack": "sfncompile-dev"})
    assert filled["States"]["set up run"]["Parameters"]["t"] == {FLOW_TAG: "HelloFlow", STACK_TAG: "sfncompile-dev"}
    assert filled["States"]["start"]["Parameters"]["JobName"] == "start"
