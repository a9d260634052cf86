"""``-c egress=endpoints``: isolated subnets whose only routes out are the VPC endpoints.

The default stage (dev) keeps open egress (documented in infra/README.md); the
"locked" stage of the session synthesis restricts it.
"""
from __future__ import annotations

import pytest

from .synth_helpers import Synthesis, render
from sfncompile_infra import SettingsError, settings_from_context


def _service_names(synth: Synthesis, stage: str, kind: str):
    return sorted(
        render(e["Properties"]["ServiceName"]).rsplit(".", 1)[-1] if kind == "Gateway"
        else render(e["Properties"]["ServiceName"]).split(".", 3)[-1]
        for e in synth.resources(stage, "AWS::EC2::VPCEndpoint").values()
        if e["Properties"].get("VpcEndpointType", "Gateway") == kind
    )


def test_endpoints_stage_has_no_internet_route_only_endpoints(synth: Synthesis) -> None:
    assert synth.resources("locked", "AWS::EC2::InternetGateway") == {}
    assert synth.resources("locked", "AWS::EC2::NatGateway") == {}
    for route in synth.resources("locked", "AWS::EC2::Route").values():
        assert "GatewayId" not in route["Properties"] and "NatGatewayId" not in route["Properties"]
    assert _service_names(synth, "locked", "Gateway") == ["dynamodb", "s3"]
    interface = _service_names(synth, "locked", "Interface")
    assert interface == sorted(["ecr.api", "ecr.dkr", "logs", "sts", "states", "ecs", "ecs-agent", "ecs-telemetry"]), \
        interface
    for endpoint in synth.resources("locked", "AWS::EC2::VPCEndpoint").values():
        if endpoint["Properties"].get("VpcEndpointType") == "Interface":
            assert endpoint["Properties"]["PrivateDnsEnabled"] is True
    groups = [g for lid, g in synth.resources("locked", "AWS::EC2::SecurityGroup").items()
              if lid.startswith("NetworkJobSecurityGroup")]
    [egress] = groups[0]["Properties"]["SecurityGroupEgress"]
    assert (egress["IpProtocol"], egress["FromPort"], egress["ToPort"]) == ("tcp", 443, 443)
    environment = synth.one("locked", "AWS::Batch::ComputeEnvironment")["Properties"]["ComputeResources"]
    isolated = {f"<{lid}>" for lid in synth.resources("locked", "AWS::EC2::Subnet")}
    assert {render(s) for s in environment["Subnets"]} == isolated
    for subnet in synth.resources("locked", "AWS::EC2::Subnet").values():
        assert subnet["Properties"].get("MapPublicIpOnLaunch") is False


def test_default_stage_keeps_open_egress_through_its_internet_gateway(synth: Synthesis) -> None:
    assert len(synth.resources("dev", "AWS::EC2::InternetGateway")) == 1
    assert synth.resources("dev", "AWS::EC2::VPCEndpoint") == {}


@pytest.mark.parametrize("overrides, message", [
    ({"egress": "closed"}, "expected one of open, endpoints"),
    ({"egress": "endpoints", "vpc_id": "vpc-0123456789abcdef0", "subnet_ids": "subnet-0123456789abcdef0"},
     "applies to the VPC this stack creates"),
    ({"egress": "endpoints", "assign_public_ip": "true"}, "drop -c assign_public_ip=true"),
])
def test_bad_egress_contexts_say_what_to_do(overrides, message) -> None:
    context = {"stage": "x", "account": "123456789012", "region": "us-east-1", **overrides}
    with pytest.raises(SettingsError, match=message):
        settings_from_context(context.get, environ={})
