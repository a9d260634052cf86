"""Read runs, tasks, artifacts and logs (local runs and, once configured, Step Functions runs).

    from sfncompile import Flow, Run
    run = Flow("TrainFlow").latest_successful_run
    run.data.best                 # an artifact of the end step
    run["fit"].task.data.score    # any step's artifacts
"""
from ..exceptions import NotFoundError
from .backend import Backend, register_backend_provider
from .core import (
    DataArtifact,
    Flow,
    Metaflow,
    Run,
    Step,
    Task,
    default_namespace,
    get_metadata,
    get_namespace,
    namespace,
)
from .code import Code
from .metadata import Metadata
from .deployer import DeployedFlow, Deployer, TriggeredRun
from .events import publish_event
from .runner import ExecutingRun, Runner

__all__ = [
    "Metaflow",
    "Runner",
    "ExecutingRun",
    "Deployer",
    "DeployedFlow",
    "TriggeredRun",
    "Flow",
    "Run",
    "Step",
    "Task",
    "DataArtifact",
    "namespace",
    "get_namespace",
    "get_metadata",
    "Metadata",
    "Code",
    "default_namespace",
    "NotFoundError",
    "Backend",
    "register_backend_provider",
    "publish_event",
]
