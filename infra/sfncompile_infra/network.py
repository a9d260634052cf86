"""Where Batch places job containers: an existing VPC, or a small VPC of our own.

The VPC we create has public subnets only and no NAT gateway, so it costs nothing
while idle; jobs reach ECR, S3 and DynamoDB through the internet gateway with a
public IP (Fargate ``assignPublicIp``), and nothing can connect in.
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
            self.subnet_ids = [subnet.subnet_id for subnet in self.vpc.public_subnets]

        # Egress only: containers pull images and talk to AWS APIs; nothing listens.
        self.security_group = ec2.CfnSecurityGroup(
            self,
            "JobSecurityGroup",
            group_description=f"{settings.stack_name} Batch jobs: outbound only",
            vpc_id=self.vpc_id,
            security_group_egress=[
                ec2.CfnSecurityGroup.EgressProperty(
                    ip_protocol="-1", cidr_ip="0.0.0.0/0", description="AWS APIs, ECR and package indexes"
                )
            ],
        )
        self.security_group_id: str = self.security_group.attr_group_id

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
                ec2.SubnetConfiguration(name="jobs", subnet_type=ec2.SubnetType.PUBLIC, cidr_mask=20)
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
