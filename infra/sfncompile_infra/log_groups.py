"""The stage's CloudWatch log groups: Batch job output and Step Functions execution history.

Both are named after the stage so an operator finds them without the stack outputs,
keep logs only for the configured retention, and are deleted with the stack: task
stdout/stderr are also kept in the datastore, so these are a convenience copy.
"""
from __future__ import annotations

from aws_cdk import RemovalPolicy
from aws_cdk import aws_logs as logs
from constructs import Construct

from .settings import Settings

_RETENTION = {
    1: logs.RetentionDays.ONE_DAY,
    3: logs.RetentionDays.THREE_DAYS,
    5: logs.RetentionDays.FIVE_DAYS,
    7: logs.RetentionDays.ONE_WEEK,
    14: logs.RetentionDays.TWO_WEEKS,
    30: logs.RetentionDays.ONE_MONTH,
    60: logs.RetentionDays.TWO_MONTHS,
    90: logs.RetentionDays.THREE_MONTHS,
    120: logs.RetentionDays.FOUR_MONTHS,
    150: logs.RetentionDays.FIVE_MONTHS,
    180: logs.RetentionDays.SIX_MONTHS,
    365: logs.RetentionDays.ONE_YEAR,
    400: logs.RetentionDays.THIRTEEN_MONTHS,
    545: logs.RetentionDays.EIGHTEEN_MONTHS,
    731: logs.RetentionDays.TWO_YEARS,
    1096: logs.RetentionDays.THREE_YEARS,
    1827: logs.RetentionDays.FIVE_YEARS,
    2192: logs.RetentionDays.SIX_YEARS,
    2557: logs.RetentionDays.SEVEN_YEARS,
    2922: logs.RetentionDays.EIGHT_YEARS,
    3288: logs.RetentionDays.NINE_YEARS,
    3653: logs.RetentionDays.TEN_YEARS,
}


def retention(days: int) -> logs.RetentionDays:
    """The CDK enum member for a retention in days (Settings has already validated it)."""
    return _RETENTION[days]


class LogGroups(Construct):
    """Log groups for Batch job containers and for Step Functions execution logging."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        self.batch = logs.LogGroup(
            self,
            "BatchJobs",
            log_group_name=f"/sfncompile/{settings.stage}/batch-jobs",
            retention=retention(settings.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
        # The /aws/vendedlogs/ prefix keeps Step Functions' log delivery from growing
        # the account's CloudWatch Logs resource policy with one entry per group.
        self.state_machines = logs.LogGroup(
            self,
            "StateMachines",
            log_group_name=f"/aws/vendedlogs/states/sfncompile-{settings.stage}",
            retention=retention(settings.log_retention_days),
            removal_policy=RemovalPolicy.DESTROY,
        )
