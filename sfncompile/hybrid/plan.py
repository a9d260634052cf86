"""How the jobs of a hybrid run's remote steps are submitted (``selection.py`` says which steps).

Before the first job: the code package is built and stored once under its sha256
(``aws/package.py``, as deploy does), the environments of remote steps are resolved and
their wheels uploaded (``environments/deploy.py``), and a step with ``@batch(image=...)``
gets a job definition of the stage's base definition with that image (pinned by digest).
Jobs use the stage's job queue and job definition, the same ``sfncompile task`` command as
on Step Functions, and get the run's settings as container environment overrides.
"""
from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ..graph.ir import FlowGraph, StepNode
from ..runtime import scheduler_watch
from ..user import identity_environment
from .executor import BatchExecutor, StepJob
from .jobs import BatchJobs, Job


def _resources(node: StepNode) -> List[Dict[str, str]]:
    from ..compiler.tasks import resource_requirements

    return [{"type": r["Type"], "value": r["Value"]} for r in resource_requirements(node)]


def _timeout(node: StepNode) -> Optional[int]:
    from ..compiler.tasks import attempt_seconds

    return attempt_seconds(node, [])


def plan_hybrid(
    graph: FlowGraph,
    config: Mapping[str, Any],
    steps: List[str],
    *,
    max_workers: int,
    say: Callable[[str], None],
    show: Optional[Callable[[Job, str], None]] = None,
    echo_logs: bool = True,
    username: str,
    namespace: str,
    with_decorators: Sequence[str] = (),
) -> BatchExecutor:
    """Upload what the remote steps need and return the executor that submits their jobs."""
    from ..aws import config as cfg
    from ..aws import jobdef
    from ..aws.images import pin_image
    from ..aws.names import job_definition_name
    from ..aws.package import package_flow, upload_package
    from ..aws.session import client
    from ..aws.statemachine import deployment_name
    from ..compiler.tasks import STACK_TAG, job_name
    from ..graph.attach import with_environment

    stores = cfg.stores(config)
    datastore = cfg.datastore_url(config)
    package = package_flow(graph)
    code_url, uploaded = upload_package(stores, datastore, graph.name, package)
    say(f"code package {package.sha256[:12]}: {'uploaded' if uploaded else 'unchanged'} ({len(package.files)} files)")
    env_ids = _environments(graph, config, steps, stores, say)
    environment = jobdef.job_environment(
        flow=graph.name, flow_file=package.flow_file, code_url=code_url, code_sha=package.sha256,
        datastore=datastore, metadata=cfg.metadata_url(config), production=False,
    )
    environment.update(identity_environment(username, namespace))
    environment["SFNCOMPILE_ECHO_TRACEBACK"] = "0"  # this scheduler prints a failure's traceback
    # Each job stops itself if this scheduler is lost (kill -9, a dead laptop): runtime/scheduler_watch.py.
    environment[scheduler_watch.ENV] = os.environ.get(scheduler_watch.ENV) or f"{scheduler_watch.CHECK_SECONDS:g}"
    environment.update(with_environment(with_decorators))  # the task builds the scheduler's graph
    batch = client("batch", config)
    tags = {STACK_TAG: config["stack"]} if config.get("stack") else {}
    base: Optional[Dict[str, Any]] = None
    settings: Dict[str, StepJob] = {}
    for step in steps:
        node = graph[step]
        decorator = node.decorator("batch") or {}
        definition = config["job_definition"]
        if decorator.get("image"):
            if base is None:
                base = jobdef.base_definition(batch, config["job_definition"])
            image = pin_image(client("ecr", config), decorator["image"])
            name = job_definition_name(f"{deployment_name(config, graph.name)}-{step}-hybrid")
            definition, _ = jobdef.ensure_job_definition(
                batch, name, base, jobdef.flow_container_properties(base, {}, image), tags)
        settings[step] = StepJob(
            name=job_name(graph.name, step), queue=decorator.get("queue") or config["job_queue"],
            definition=definition, environment=environment, resources=_resources(node),
            timeout_seconds=_timeout(node), tags=tags, env_id=env_ids.get(step),
        )
    jobs = BatchJobs(batch, client("logs", config), config.get("batch_log_group"), say, show=show,
                     echo_logs=echo_logs)
    executor = BatchExecutor(settings, jobs, max_workers)
    executor.check_sizes()
    return executor


def _environments(graph: FlowGraph, config: Mapping[str, Any], steps: List[str], stores: Any,
                  say: Callable[[str], None]) -> Dict[str, str]:
    """{remote step: environment id}, with the environments' wheels uploaded (as deploy does)."""
    from ..environments.local import has_environments

    if not has_environments(graph):
        return {}
    from ..environments.deploy import deploy_environments

    env_ids, _ = deploy_environments(graph, config, stores.objects, say, steps)
    return env_ids
