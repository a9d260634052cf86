"""Helpers for reading synthesized templates, and the configurations the infra tests synthesize.

Kept apart from conftest.py so test modules can import them by a name no other
test directory uses.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Dict, List, Mapping

# The jsii runtime prints a banner about the Node.js release; it is noise in test output.
os.environ.setdefault("JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION", "18,20")

REPO_ROOT = Path(__file__).resolve().parents[2]
INFRA_DIR = REPO_ROOT / "infra"
if str(INFRA_DIR) not in sys.path:
    sys.path.insert(0, str(INFRA_DIR))

from aws_cdk import App  # noqa: E402
from aws_cdk.assertions import Template  # noqa: E402
from sfncompile_infra import SfnCompileStack  # noqa: E402

EXISTING_VPC = "vpc-0a1b2c3d4e5f60718"
EXISTING_SUBNETS = ("subnet-0a1b2c3d4e5f60718", "subnet-08f7e6d5c4b3a2910")
EXTERNAL_IMAGE = "111122223333.dkr.ecr.us-east-1.amazonaws.com/team/trainer:2024.06"

# stage -> context overrides (as `-c key=value` would give them: strings).
CONFIGURATIONS: Dict[str, Dict[str, str]] = {
    # cdk.json defaults only: Fargate, a VPC of our own, image from the stage's repository.
    "dev": {},
    # Egress restricted to VPC endpoints (isolated subnets), on EC2 compute.
    "locked": {"stage": "locked", "egress": "endpoints", "compute": "ec2"},
    # A second stage in the same account: every name must differ from dev's.
    "prod": {"stage": "prod"},
    # Everything non-default at once: EC2 Spot with GPU types in an existing VPC,
    # access logs, an external image, other retention and image count.
    "gpu": {
        "stage": "gpu",
        "compute": "ec2",
        "spot": "true",
        "instance_types": "g5.xlarge,g5.2xlarge",
        "vpc_id": EXISTING_VPC,
        "subnet_ids": ",".join(EXISTING_SUBNETS),
        "access_logs": "true",
        "image_uri": EXTERNAL_IMAGE,
        "log_retention_days": "90",
        "ecr_keep_images": "5",
        "max_vcpus": "64",
    },
    # The image built from the repository's Dockerfile as a CDK asset (staged, not
    # built), on Fargate Spot.
    "built": {"stage": "built", "build_image": "true", "spot": "true"},
    # EC2 on-demand with default instance types.
    "ondemand": {"stage": "ondemand", "compute": "ec2"},
}


def committed_context() -> Dict[str, Any]:
    """The context `cdk` itself would pass: cdk.json's, then cdk.context.json's."""
    context = dict(json.loads((INFRA_DIR / "cdk.json").read_text())["context"])
    context.update(json.loads((INFRA_DIR / "cdk.context.json").read_text()))
    return context


def layered(app: App, overrides: Mapping[str, str]) -> Callable[[str], Any]:
    """A context getter where this stack's overrides win over the app's context."""
    return lambda key: overrides[key] if key in overrides else app.node.try_get_context(key)


@dataclass
class Synthesis:
    app: App
    outdir: Path
    stacks: Dict[str, SfnCompileStack]
    templates: Dict[str, Template]

    def json(self, stage: str) -> Dict[str, Any]:
        return self.templates[stage].to_json()

    def resources(self, stage: str, type_name: str) -> Dict[str, Dict[str, Any]]:
        return {
            logical_id: resource
            for logical_id, resource in self.json(stage)["Resources"].items()
            if resource["Type"] == type_name
        }

    def one(self, stage: str, type_name: str) -> Dict[str, Any]:
        found = self.resources(stage, type_name)
        assert len(found) == 1, f"{stage}: expected one {type_name}, found {sorted(found)}"
        return next(iter(found.values()))

    def id_of(self, stage: str, construct: Any) -> str:
        """The logical id CloudFormation sees for a construct (an L2's default child)."""
        stack = self.stacks[stage]
        element = getattr(construct.node, "default_child", None) or construct
        return stack.resolve(stack.get_logical_id(element))

    def logical_id(self, stage: str, type_name: str) -> str:
        found = self.resources(stage, type_name)
        assert len(found) == 1, f"{stage}: expected one {type_name}, found {sorted(found)}"
        return next(iter(found))


def render(value: Any) -> str:
    """A readable string for a template value: ``Fn::Join`` joined, references as ``<Id>`` / ``<Id.Attr>``."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return str(value)
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return f"<{arg}>"
        if key == "Fn::GetAtt":
            return f"<{'.'.join(arg) if isinstance(arg, list) else arg}>"
        if key == "Fn::Join":
            return arg[0].join(render(part) for part in arg[1])
        if key == "Fn::Sub":
            return arg if isinstance(arg, str) else arg[0]
        if key == "Fn::Select":
            return f"<select {arg[0]} of {render(arg[1])}>"
        if key == "Fn::Split":
            return f"<split {render(arg[1])}>"
        if key == "Fn::GetAZs":
            return "<azs>"
    return json.dumps(value, sort_keys=True)


def as_list(value: Any) -> List[Any]:
    return value if isinstance(value, list) else [value]


@dataclass(frozen=True)
class Statement:
    """One IAM statement of a template, flattened for assertions."""

    owner: str  # logical id of the role or policy holding it
    sid: str
    effect: str
    actions: List[str]
    resources: List[str]


def iam_statements(template: Mapping[str, Any]) -> List[Statement]:
    """Every identity-policy statement: AWS::IAM::Policy documents and roles' inline policies."""
    documents = []
    for logical_id, resource in template["Resources"].items():
        properties = resource.get("Properties", {})
        if resource["Type"] in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            documents.append((logical_id, properties["PolicyDocument"]))
        elif resource["Type"] == "AWS::IAM::Role":
            documents.extend((logical_id, policy["PolicyDocument"]) for policy in properties.get("Policies", []))
    return [
        Statement(
            owner=owner,
            sid=statement.get("Sid", ""),
            effect=statement["Effect"],
            actions=[str(action) for action in as_list(statement.get("Action", []))],
            resources=[render(item) for item in as_list(statement.get("Resource", []))],
        )
        for owner, document in documents
        for statement in as_list(document["Statement"])
    ]


def role_statements(template: Mapping[str, Any], logical_id: str) -> List[Statement]:
    """Statements that apply to one role: its inline policies plus AWS::IAM::Policy attached to it."""
    attached = {
        policy_id
        for policy_id, resource in template["Resources"].items()
        if resource["Type"] == "AWS::IAM::Policy"
        and {"Ref": logical_id} in resource["Properties"].get("Roles", [])
    }
    return [s for s in iam_statements(template) if s.owner == logical_id or s.owner in attached]
