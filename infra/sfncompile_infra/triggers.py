"""What `@trigger` and `@trigger_on_finish` deployments need from the stage.

* the stage's custom event bus (``EventBusName``): `sfncompile event publish` puts events
  there and each ``@trigger`` rule listens there (``@trigger_on_finish`` rules listen on
  the account's default bus, where Step Functions sends "Execution Status Change"
  events: https://docs.aws.amazon.com/step-functions/latest/dg/cw-events.html);
* the permissions boundary (``TriggerRoleBoundaryArn``) of the per-deployment roles
  that `sfncompile deploy` creates for EventBridge: each role may start only its own
  state machine, and the boundary caps every such role at this stage's machines even
  if its own policy were edited to say more.
"""
from __future__ import annotations

from aws_cdk import Stack
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from constructs import Construct

from .nag import acknowledge
from .roles import nag_resource_name, state_machine_arn_pattern
from .settings import Settings


class Triggers(Construct):
    """The stage's event bus and the trigger roles' permissions boundary."""

    def __init__(self, scope: Construct, construct_id: str, *, settings: Settings) -> None:
        super().__init__(scope, construct_id)
        stack = Stack.of(self)
        self.bus = events.EventBus(self, "Bus", event_bus_name=settings.stack_name,
                                   description=f"sfncompile events of stage {settings.stage} (@trigger)")
        state_machines = state_machine_arn_pattern(stack, settings)
        self.boundary = iam.ManagedPolicy(
            self,
            "TriggerRoleBoundary",
            description=f"{settings.stack_name}: the most an EventBridge trigger role may do "
                        "(start this stage's state machines)",
            statements=[iam.PolicyStatement(sid="StartThisStagesFlows", actions=["states:StartExecution"],
                                             resources=[state_machines])],
        )
        acknowledge(
            self.boundary,
            f"AwsSolutions-IAM5[Resource::{nag_resource_name(stack, state_machines)}]",
            "A permissions boundary for the per-deployment trigger roles `sfncompile deploy` creates; each "
            "role's own policy names its one state machine, the boundary admits only this stage's prefix.",
        )
