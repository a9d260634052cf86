"""Where Batch places job containers: an existing VPC, or a small VPC of our own.

By default (``-c egress=open``) the VPC we create has public subnets only and no NAT
gateway, so it costs nothing while idle; jobs reach ECR, S3 and DynamoDB through the
internet gateway with a public IP (Fargate ``assignPublicIp``) - and so could reach
anything else on the internet - while nothing can connect in.

With ``-c egress=endpoints`` the subnets are isolated (no internet gateway route) and
the only way out is VPC endpoints: gateway endpoints for S3 and DynamoDB, interface
endpoints for ECR (API and registry), CloudWatch Logs, STS and Step Functions (where a
start task reads its execution's input), plus the ECS agent's endpoints on EC2 compute.
User code can then talk to nothing but those services.
"""
from __future__ import annotations

from typing import List, Optional

from aws_cdk import ArnFormat, RemovalPolicy, Stack
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from constructs import Construct

from .settings import Settings
from .log_groups import retention


class Network(Construct):
    """The VPC id, subnet ids and security group that the compute environment uses."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.vpc: Optional[ec2.Vpc] = None
        if settings.vpc_id is not None:
            # An existing VPC is named by id; nothing is looked up, so synthesis stays offline.
            self.vpc_id: str = settings.vpc_id
            self.subnet_ids: List[str] = list(settings.subnet_ids)
        else:
            self.vpc = self._create_vpc(settings)
            self.vpc_id = self.vpc.vpc_id
            if settings.egress == "endpoints":
                self.subnet_ids = [subnet.subnet_id for subnet in self.vpc.isolated_subnets]
            else:
                self.subnet_ids = [subnet.subnet_id for subnet in self.vpc.public_subnets]

        # Egress only: containers pull images and talk to AWS APIs; nothing listens.
        if settings.egress == "endpoints":
            # HTTPS only; the isolated subnets route nowhere but the VPC endpoints.
            egress = ec2.CfnSecurityGroup.EgressProperty(
                ip_protocol="tcp", from_port=443, to_port=443, cidr_ip="0.0.0.0/0",
                description="HTTPS to the VPC endpoints (the only routes out of the isolated subnets)",
            )
        else:
            egress = ec2.CfnSecurityGroup.EgressProperty(
                ip_protocol="-1", cidr_ip="0.0.0.0/0", description="AWS APIs, ECR and package indexes"
            )
        self.security_group = ec2.CfnSecurityGroup(
            self,
            "JobSecurityGroup",
            group_description=f"{settings.stack_name} Batch jobs: outbound only",
            vpc_id=self.vpc_id,
            security_group_egress=[egress],
        )
        self.security_group_id: str = self.security_group.attr_group_id
        if self.vpc is not None and settings.egress == "endpoints":
            self._endpoints(self.vpc, settings)

    def _create_vpc(self, settings: Settings) -> ec2.Vpc:
        flow_log_group = logs.LogGroup(
            self,
            "FlowLogs",
            retention=retention(settings.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        # The delivery role, trusted only for this account's flow logs (confused deputy:
        # https://docs.aws.amazon.com/vpc/latest/userguide/flow-logs-iam-role.html).
        flow_logs = Stack.of(self).format_arn(
            service="ec2", resource="vpc-flow-log", resource_name="*", arn_format=ArnFormat.SLASH_RESOURCE_NAME
        )
        delivery_role = iam.Role(
            self,
            "FlowLogsRole",
            assumed_by=iam.ServicePrincipal(
                "vpc-flow-logs.amazonaws.com",
                conditions={
                    "StringEquals": {"aws:SourceAccount": settings.account},
                    "ArnLike": {"aws:SourceArn": flow_logs},
                },
            ),
        )
        return ec2.Vpc(
            self,
            "Vpc",
            ip_addresses=ec2.IpAddresses.cidr("10.64.0.0/16"),
            # The stack decides the zones without an AWS lookup (SfnCompileStack.availability_zones).
            max_azs=2,
            nat_gateways=0,
            subnet_configuration=[
                ec2.SubnetConfiguration(
                    name="jobs",
                    subnet_type=(
                        ec2.SubnetType.PRIVATE_ISOLATED if settings.egress == "endpoints" else ec2.SubnetType.PUBLIC
                    ),
                    cidr_mask=20,
                )
            ],
            # Restricting the default security group needs a custom-resource Lambda;
            # nothing here uses the default group, so leave it alone and stay Lambda-free.
            restrict_default_security_group=False,
            flow_logs={
                "All": ec2.FlowLogOptions(
                    destination=ec2.FlowLogDestination.to_cloud_watch_logs(flow_log_group, delivery_role),
                    traffic_type=ec2.FlowLogTrafficType.ALL,
                )
            },
        )

    def _endpoints(self, vpc: ec2.Vpc, settings: Settings) -> None:
        """The AWS services a job uses, reachable from isolated subnets (``-c egress=endpoints``)."""
        isolated = [ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)]
        vpc.add_gateway_endpoint("S3", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=isolated)
        vpc.add_gateway_endpoint("DynamoDB", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets=isolated)
        # Interface endpoints accept HTTPS from the jobs' security group only.
        endpoint_group = ec2.SecurityGroup(
            self, "EndpointSecurityGroup", vpc=vpc, allow_all_outbound=False,
            description=f"{settings.stack_name} VPC endpoints: HTTPS from Batch jobs only",
        )
        endpoint_group.add_ingress_rule(
            ec2.Peer.security_group_id(self.security_group_id), ec2.Port.tcp(443), "HTTPS from Batch jobs"
        )
        services = dict(INTERFACE_ENDPOINTS)
        if settings.compute == "ec2":
            services.update(ECS_AGENT_ENDPOINTS)
        for name, service in services.items():
            vpc.add_interface_endpoint(
                name, service=service, private_dns_enabled=True, open=False, security_groups=[endpoint_group],
                subnets=ec2.SubnetSelection(subnets=vpc.isolated_subnets),
            )


# Image pulls (ECR API and registry; layers come from S3), container logs, credentials, and
# the start task's read of its execution's input (the run's parameters: states:DescribeExecution).
INTERFACE_ENDPOINTS = {
    "EcrApi": ec2.InterfaceVpcEndpointAwsService.ECR,
    "EcrRegistry": ec2.InterfaceVpcEndpointAwsService.ECR_DOCKER,
    "Logs": ec2.InterfaceVpcEndpointAwsService.CLOUDWATCH_LOGS,
    "Sts": ec2.InterfaceVpcEndpointAwsService.STS,
    "StepFunctions": ec2.InterfaceVpcEndpointAwsService.STEP_FUNCTIONS,
}
# On EC2 compute the ECS container agent registers and reports through these.
ECS_AGENT_ENDPOINTS = {
    "Ecs": ec2.InterfaceVpcEndpointAwsService.ECS,
    "EcsAgent": ec2.InterfaceVpcEndpointAwsService.ECS_AGENT,
    "EcsTelemetry": ec2.InterfaceVpcEndpointAwsService.ECS_TELEMETRY,
}
