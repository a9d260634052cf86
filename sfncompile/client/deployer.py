"""``Deployer``: deploy a flow to Step Functions and trigger it from Python, in Metaflow's shape.

    from sfncompile import Deployer
    deployed = Deployer("flow.py").deploy()          # Metaflow: Deployer(...).step_functions().create()
    triggered = deployed.trigger(alpha=0.3)
    triggered.wait()                                  # "SUCCEEDED" / "FAILED" / ...
    triggered.run.data.best                           # the client's Run

Everything goes through the same functions as ``sfncompile deploy`` / ``trigger``
(``sfncompile.aws``), with the AWS configuration file (``sfncompile configure``).
"""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Mapping, Optional

from .runner import cli_value


class TriggeredRun:
    """One execution of a deployed flow: ``.run_id``, ``.pathspec``, ``.status`` (the
    execution's: RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED), ``.wait()``, ``.run``,
    ``.terminate()``."""

    def __init__(self, deployed: "DeployedFlow", triggered: Any) -> None:
        self.deployed = deployed
        self._triggered = triggered
        self.run_id: str = triggered.run_id
        self.execution_arn: str = triggered.execution_arn
        self.pathspec = f"{triggered.flow}/{triggered.run_id}"

    @property
    def status(self) -> str:
        from ..aws.errors import aws_errors
        from ..aws.session import client

        with aws_errors(f"describe {self.pathspec}"):
            return client("stepfunctions", self.deployed.config).describe_execution(
                executionArn=self.execution_arn)["status"]

    def wait(self, timeout: Optional[float] = None, poll: float = 2.0,
             say: Callable[[str], None] = lambda _line: None) -> str:
        """Block until the execution ends (or ``timeout`` seconds pass); returns its status."""
        from ..aws.trigger import wait_for

        return wait_for(self._triggered, config=self.deployed.config, poll_seconds=poll, timeout_seconds=timeout,
                        say=say)

    @property
    def run(self) -> Any:
        """The client's Run for this execution (read from the configured S3 + DynamoDB)."""
        from . import backend
        from .core import Run

        backend.reset()
        return Run(self.pathspec)

    def terminate(self) -> None:
        from ..aws.executions import terminate

        terminate(self._triggered.flow, self.run_id, config=self.deployed.config, name=self.deployed.name)

    def __repr__(self) -> str:
        return f"TriggeredRun('{self.pathspec}')"


class DeployedFlow:
    """A flow deployed as a state machine: ``.trigger(**parameters)``, ``.delete()``."""

    def __init__(self, flow: str, name: str, state_machine_arn: str, config: Mapping[str, Any],
                 changes: List[str]) -> None:
        self.flow_name = flow
        self.name = name
        self.state_machine_arn = state_machine_arn
        self.config = dict(config)
        self.changes = changes

    def trigger(self, tags: Optional[List[str]] = None, **parameters: Any) -> TriggeredRun:
        """Start an execution; parameters are checked against the flow's JSON Schema first."""
        from ..aws.trigger import trigger

        raw = {key: cli_value(value) for key, value in parameters.items()}
        return TriggeredRun(self, trigger(self.flow_name, raw, name=self.name, tags=tags, config=self.config))

    def delete(self) -> Dict[str, bool]:
        """Remove the state machine and its schedule; runs and artifacts stay."""
        from ..aws.executions import delete_deployment

        return delete_deployment(self.flow_name, config=self.config, name=self.name)

    def __repr__(self) -> str:
        return f"DeployedFlow('{self.flow_name}', '{self.state_machine_arn}')"


class Deployer:
    """Deploy ``flow_file`` (``flow=`` picks the class when the file has several; ``name=``
    the state machine name; ``tags=`` AWS tags for it)."""

    def __init__(self, flow_file: str, flow: Optional[str] = None, name: Optional[str] = None,
                 tags: Optional[Mapping[str, str]] = None, config: Optional[Mapping[str, Any]] = None) -> None:
        self.flow_file = os.path.abspath(flow_file)
        self.flow = flow
        self.name = name
        self.tags = dict(tags or {})
        self._config = config

    def deploy(self) -> DeployedFlow:
        """Package, create or update the state machine and schedule (as ``sfncompile deploy``)."""
        from ..aws import config as cfg
        from ..aws.deploy import deploy
        from ..aws.statemachine import deployment_name
        from ..graph import build_graph_from_file

        config = dict(self._config or cfg.load_config())
        flow = build_graph_from_file(self.flow_file, self.flow).name
        result = deploy(self.flow_file, flow_name=self.flow, name=self.name, tags=self.tags, config=config)
        return DeployedFlow(flow, deployment_name(config, flow, self.name), result.state_machine_arn, config,
                            result.changes)

    def step_functions(self) -> "_StepFunctions":
        """Metaflow's spelling: ``Deployer("flow.py").step_functions().create()``."""
        return _StepFunctions(self)


class _StepFunctions:
    def __init__(self, deployer: Deployer) -> None:
        self._deployer = deployer

    def create(self) -> DeployedFlow:
        return self._deployer.deploy()
