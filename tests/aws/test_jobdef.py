"""Flow job definitions carry the parameter defaults the compiled Tasks leave out."""
from __future__ import annotations

from sfncompile.aws import jobdef
from sfncompile.compiler.jobparams import JOB_COMMAND, JOB_PARAMETER_DEFAULTS


def _base_without_defaults(batch) -> dict:
    """A base definition as a stack deployed before the defaults existed registered it."""
    batch.register_job_definition(
        jobDefinitionName="old-base", type="container", parameters={"keep": "me"},
        containerProperties={"image": "python:3.11-slim", "command": ["sfncompile", "task", "Ref::step"],
                             "resourceRequirements": [{"type": "VCPU", "value": "1"},
                                                      {"type": "MEMORY", "value": "2048"}]},
    )
    return jobdef.base_definition(batch, "old-base")


def test_flow_job_definition_gets_the_task_and_attempt_defaults(moto_aws):
    batch = moto_aws.client("batch")
    base = _base_without_defaults(batch)
    props = jobdef.flow_container_properties(base, {"SFNCOMPILE_FLOW": "F"})
    arn, registered = jobdef.ensure_job_definition(batch, "flow-jd", base, props, {})
    assert registered
    [found] = batch.describe_job_definitions(jobDefinitions=[arn])["jobDefinitions"]
    assert found["parameters"] == {"keep": "me", "t": "0", "a": "0"} == {"keep": "me", **JOB_PARAMETER_DEFAULTS}
    # an older base's command named other Ref:: parameters: the flow's gets the one the Tasks fill
    assert found["containerProperties"]["command"] == list(JOB_COMMAND)
    assert jobdef.ensure_job_definition(batch, "flow-jd", base, props, {}) == (arn, False)


def test_a_revision_without_the_defaults_is_replaced(moto_aws):
    """Same container, but registered before the defaults: the Tasks would run ``Ref::task``."""
    batch = moto_aws.client("batch")
    base = _base_without_defaults(batch)
    props = jobdef.flow_container_properties(base, {"SFNCOMPILE_FLOW": "F"})
    old = batch.register_job_definition(jobDefinitionName="flow-jd", type="container",
                                        containerProperties=props)["jobDefinitionArn"]
    arn, registered = jobdef.ensure_job_definition(batch, "flow-jd", base, props, {})
    assert registered and arn != old
