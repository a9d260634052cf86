"""`sfncompile deploy`: check → compile → package → job definition → state machine → schedule.

Every stage compares before it writes, so redeploying an unchanged flow changes
nothing and says so.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Mapping, Optional, Sequence

from ..exceptions import CompileError
from . import config as cfg
from . import jobdef, schedule, statemachine
from .images import pin_image
from .manifest import write_manifest
from .package import package_flow, upload_package
from .session import client

@dataclass
class DeployResult:
    name: str
    state_machine_arn: str = ""
    changes: List[str] = field(default_factory=list)
    warnings: List[str] = field(default_factory=list)
    definition: Optional[Dict[str, Any]] = None
    dry_run: bool = False

    @property
    def changed(self) -> bool:
        return bool(self.changes)


def parse_tags(pairs: List[str]) -> Dict[str, str]:
    tags = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise CompileError(f"tag {pair!r} is not key=value", fix="pass --tag team=ml")
        tags[key] = value
    return tags


def deploy(
    flow_file: str,
    *,
    flow_name: Optional[str] = None,
    name: Optional[str] = None,
    tags: Optional[Mapping[str, str]] = None,
    include: Sequence[str] = (),
    dry_run: bool = False,
    config: Optional[Mapping[str, Any]] = None,
    say: Callable[[str], None] = lambda _msg: None,
) -> DeployResult:
    from ..compiler import DeploySettings, check_definition_size, compile_flow, substitute, values_from_config
    from ..graph import build_graph_from_file
    from ..graph.schema import parameters_schema
    from ..environments.deploy import deploy_environments
    from .compute import stage_compute

    config = dict(config or cfg.load_config())
    graph = build_graph_from_file(flow_file, flow_name)
    sm_name = statemachine.deployment_name(config, graph.name, name)
    result = DeployResult(name=sm_name, dry_run=dry_run)
    compute = stage_compute(client("batch", config), config["job_queue"]) if config.get("job_queue") else None
    stores = cfg.stores(config)
    env_ids, env_changes = deploy_environments(graph, config, None if dry_run else stores.objects, say)
    compiled = compile_flow(graph, DeploySettings(state_machine_name=sm_name, compute=compute, environments=env_ids))
    result.warnings = [str(w) for w in compiled.warnings]
    result.changes.extend(env_changes)
    package = package_flow(graph, include=include)
    if dry_run:
        subs = values_from_config(config, graph.name)
        for step, extra in compiled.job_definitions.items():
            subs[extra["placeholder"]] = f"{sm_name}-{step}"
        result.definition = substitute(compiled.definition, subs)[0]
        result.state_machine_arn = statemachine.state_machine_arn(config, sm_name)
        say(f"dry run: would deploy {graph.name} as {sm_name} (code {package.sha256[:12]}, {len(package.files)} files)")
        return result

    code_url, uploaded_code = upload_package(stores, cfg.datastore_url(config), graph.name, package)
    if uploaded_code:
        result.changes.append(f"uploaded code package {package.sha256[:12]} ({len(package.files)} files)")
    say(f"code package {package.sha256[:12]}: {'uploaded' if uploaded_code else 'unchanged'}")

    batch = client("batch", config)
    base = jobdef.base_definition(batch, config["job_definition"])
    ecr = client("ecr", config)
    runtime_image = pin_image(ecr, base.get("containerProperties", {}).get("image") or config.get("image", ""))
    say(f"runtime image {runtime_image}")
    environment = jobdef.job_environment(
        flow=graph.name,
        flow_file=package.flow_file,
        code_url=code_url,
        code_sha=package.sha256,
        datastore=cfg.datastore_url(config),
        metadata=cfg.metadata_url(config),
    )
    jd_tags = {statemachine.FLOW_TAG: graph.name}
    subs = values_from_config(config, graph.name)
    jd_arn, registered = jobdef.ensure_job_definition(
        batch, sm_name, base, jobdef.flow_container_properties(base, environment, runtime_image), jd_tags
    )
    subs["JobDefinition"] = jd_arn
    if registered:
        result.changes.append(f"registered job definition {jd_arn.rsplit('/', 1)[-1]}")
    for step, extra in sorted(compiled.job_definitions.items()):
        image = pin_image(ecr, extra["image"])
        arn, reg = jobdef.ensure_job_definition(
            batch, f"{sm_name}-{step}", base, jobdef.flow_container_properties(base, environment, image), jd_tags
        )
        subs[extra["placeholder"]] = arn
        if reg:
            result.changes.append(f"registered job definition {arn.rsplit('/', 1)[-1]} (image {image})")

    definition, missing = substitute(compiled.definition, subs)
    if missing:
        raise CompileError(
            f"the config gives no value for {', '.join(missing)}", fix="rerun `sfncompile configure --stack ...`"
        )
    check_definition_size(definition)  # ARNs are longer than their placeholders
    result.definition = definition
    sm_tags = {statemachine.FLOW_TAG: graph.name, statemachine.CODE_TAG: package.sha256[:12], **(tags or {})}
    sfn = client("stepfunctions", config)
    arn, action = statemachine.ensure_state_machine(sfn, config, sm_name, json.dumps(definition), sm_tags)
    result.state_machine_arn = arn
    if action != "unchanged":
        result.changes.append(f"{action} state machine {sm_name}")
    say(f"state machine {sm_name}: {action}")

    manifest = {
        "flow": graph.name,
        "name": sm_name,
        "state_machine_arn": arn,
        "flow_file": package.flow_file,
        "code_sha256": package.sha256,
        "parameters_schema": parameters_schema(graph),
        "parameters": [{"name": p.name, "type": p.type, "help": p.help, "required": p.required,
                        "default": p.default, "is_text": p.is_text, "encoding": p.encoding}
                       for p in graph.parameters],
        "steps": [n.name for n in graph.topological()],  # progress lists steps in this order
        "schedule": dict(graph.flow_decorators["schedule"]) if "schedule" in graph.flow_decorators else None,
    }
    if write_manifest(stores.objects, graph.name, sm_name, manifest):
        result.changes.append("wrote deploy manifest")

    sched = manifest["schedule"]
    action = schedule.sync_schedule(
        client("scheduler", config), sm_name, sched, arn, config.get("scheduler_role_arn")
    )
    if action not in ("unchanged", "none"):
        result.changes.append(f"{action} schedule" + (f" cron({sched['cron']}) {sched['timezone']}" if sched else ""))
    return result
