"""cdk-nag acknowledgments: each one names a rule finding and says why it is accepted.

cdk-nag 3 reads CDK's own ``Validations.of(construct).acknowledge`` records. IAM
wildcard findings are acknowledged per finding (``AwsSolutions-IAM5[Resource::...]``),
never for the rule as a whole, so a new wildcard still fails the checks.
"""
from __future__ import annotations

from typing import Any

from aws_cdk import Acknowledgment, App, Validations
from cdk_nag import AwsSolutionsChecks
from constructs import IConstruct


def add_checks(app: App) -> None:
    """Run cdk-nag's AWS Solutions pack when ``app`` synthesizes; any unacknowledged finding fails synthesis."""
    Validations.of(app).add_plugins(AwsSolutionsChecks(app))


def acknowledge(construct: IConstruct, rule_id: str, reason: str) -> None:
    """Accept one cdk-nag finding on ``construct`` (and its children) with a written reason."""
    Validations.of(construct).acknowledge(Acknowledgment(id=rule_id, reason=reason))


def render_for_nag(value: Any) -> str:
    """Flatten a resolved CloudFormation value the way cdk-nag spells it in finding ids.

    ``{"Ref": "X"}`` becomes ``<X>``, ``{"Fn::GetAtt": ["X", "Arn"]}`` becomes
    ``<X.Arn>`` and ``Fn::Join`` concatenates its flattened parts.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"<{arg}>"
        if key == "Fn::GetAtt":
            return f"<{'.'.join(arg)}>"
        if key == "Fn::Join":
            separator, parts = arg
            return separator.join(render_for_nag(part) for part in parts)
    raise ValueError(f"cannot name {value!r} in a cdk-nag finding")
