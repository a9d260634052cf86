"""cdk-nag's AWS Solutions pack finds nothing that is not acknowledged with a reason.

cdk-nag 3 runs as a CDK validation plugin (``Validations.of(app).add_plugins``) and
reads acknowledgments recorded with ``Validations.of(construct).acknowledge``; it no
longer writes findings as annotations. So the checks here ask the pack directly
(``validate_scope``) for each stage stack (the session's synthesis has already run
the plugin, which would have failed the fixture), check what the acknowledgments
say, and prove the pack does fire on a new, unacknowledged finding.
"""
from __future__ import annotations

import re
from typing import Dict, List

import pytest
from aws_cdk import App, Validations
from aws_cdk import aws_iam as iam
from aws_cdk.assertions import Annotations, Match, Template
from cdk_nag import AwsSolutionsChecks

from .synth_helpers import CONFIGURATIONS, Synthesis, committed_context, layered
from sfncompile_infra import SfnCompileStack, settings_from_context
from sfncompile_infra.nag import add_checks


def _violations(report) -> List[str]:
    return [
        f"{violation.rule_name} at {[r.construct_path for r in violation.violating_resources]}"
        for violation in report.violations
    ]


@pytest.mark.parametrize("stage", sorted(CONFIGURATIONS))
def test_aws_solutions_pack_reports_nothing_unacknowledged(synth: Synthesis, stage: str) -> None:
    report = AwsSolutionsChecks().validate_scope(synth.stacks[stage])
    assert _violations(report) == []
    assert report.success


@pytest.mark.parametrize("stage", sorted(CONFIGURATIONS))
def test_no_aws_solutions_annotations(synth: Synthesis, stage: str) -> None:
    annotations = Annotations.from_stack(synth.stacks[stage])
    assert annotations.find_error("*", Match.string_like_regexp("AwsSolutions-.*")) == []
    assert annotations.find_warning("*", Match.string_like_regexp("AwsSolutions-.*")) == []


def _acknowledgments(synth: Synthesis) -> Dict[str, Dict[str, str]]:
    """construct path -> {rule id: reason} for every cdk-nag acknowledgment in the app."""
    found: Dict[str, Dict[str, str]] = {}
    for stack in synth.stacks.values():
        for construct in stack.node.find_all():
            for entry in construct.node.metadata:
                if entry.type != Validations.ACKNOWLEDGED_RULES_METADATA_KEY:
                    continue
                for rule_id, reason in entry.data.items():
                    if "AwsSolutions-" in rule_id:
                        found.setdefault(construct.node.path, {})[rule_id.split("::", 1)[-1]] = reason
    return found


def test_every_acknowledgment_is_specific_and_explained(synth: Synthesis) -> None:
    acknowledgments = _acknowledgments(synth)
    assert acknowledgments, "expected the documented acknowledgments (S1, IAM4, IAM5)"
    for path, rules in acknowledgments.items():
        for rule_id, reason in rules.items():
            # IAM wildcard findings are accepted per finding, never rule-wide.
            if rule_id.startswith(("AwsSolutions-IAM5", "AwsSolutions-IAM4")):
                assert re.fullmatch(r"AwsSolutions-IAM[45]\[(Resource|Action|Policy)::.+\]", rule_id), (path, rule_id)
            assert len(reason) >= 40 and " " in reason, (path, rule_id, reason)
    # Acknowledgments sit on the resources they concern, never on a whole stack.
    assert not any(path in {stack.node.path for stack in synth.stacks.values()} for path in acknowledgments)


def test_data_plane_roles_have_no_resource_star_acknowledgment(synth: Synthesis) -> None:
    rules = _acknowledgments(synth)
    for stage, stack in synth.stacks.items():
        for role in (stack.job_role, stack.scheduler_role):
            assert "AwsSolutions-IAM5[Resource::*]" not in rules.get(role.node.path, {}), (stage, role.node.path)


def test_a_new_unacknowledged_wildcard_fails_the_checks_and_synthesis(tmp_path) -> None:
    """A control: the same stack plus one more wildcard must fail, both when asked and at synth."""
    app = App(context=committed_context(), outdir=str(tmp_path))
    stack = SfnCompileStack(app, settings=settings_from_context(layered(app, {"stage": "nagcheck"}), environ={}))
    stack.job_role.add_to_policy(iam.PolicyStatement(actions=["s3:GetObject"], resources=["*"]))
    report = AwsSolutionsChecks().validate_scope(stack)
    assert not report.success
    assert any(v.startswith("AwsSolutions-IAM5[Resource::*] at") for v in _violations(report)), _violations(report)
    # What `cdk synth` / `cdk deploy` do through infra/app.py: the plugin stops synthesis.
    add_checks(app)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        Template.from_stack(stack)
