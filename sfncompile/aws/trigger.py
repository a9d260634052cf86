"""`sfncompile trigger`: typed, validated parameters → StartExecution; `--wait` follows the run."""
from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

from ..exceptions import ParameterError
from ..storage.interfaces import FAILED
from ..storage.records import now_iso
from ..tags import SFN_RUNTIME, run_tags
from ..user import default_namespace, default_username
from . import config as cfg
from .errors import aws_errors
from .manifest import find_manifest
from .start_guard import check_input_size, execution_input, startable_arn
from .session import client


def parse_parameter_args(args: List[str]) -> Dict[str, str]:
    """`--alpha 0.3 --grid '[1,2]'` / `--alpha=0.3` → {"alpha": "0.3", ...} (values still strings)."""
    values: Dict[str, str] = {}
    i = 0
    while i < len(args):
        arg = args[i]
        if not arg.startswith("--") or arg == "--":
            raise ParameterError(f"unexpected argument {arg!r}", fix="pass parameters as --name value")
        key, sep, value = arg[2:].partition("=")
        if not sep:
            if i + 1 >= len(args) or args[i + 1].startswith("--"):
                raise ParameterError(f"parameter --{key} needs a value", fix=f"pass --{key} VALUE")
            value = args[i + 1]
            i += 1
        values[key] = value
        i += 1
    return values


def typed_parameters(manifest: Mapping[str, Any], raw: Mapping[str, Any]) -> Dict[str, Any]:
    """Coerce CLI strings by the declared types, then check against the flow's JSON Schema."""
    from ..flow.parameters import coerce_value, match_parameter_name
    from ..graph.schema import validate_parameters

    declared = {p["name"]: p for p in manifest["parameters"]}
    typed: Dict[str, Any] = {}
    for key, value in raw.items():
        # `--learning-rate` names parameter learning_rate and `--test_size` test-size, as on `sfncompile run`.
        name = match_parameter_name(key, declared) or key
        spec = declared.get(name)
        if spec is None:
            typed[name] = value  # the schema rejects it with the list of known parameters
            continue
        try:
            typed[name] = coerce_value(spec["type"], value)
        except (TypeError, ValueError) as exc:
            raise ParameterError(
                f"parameter '{name}': {value!r} is not a valid {spec['type']} ({exc})", fix=f"pass --{name} VALUE"
            ) from None
    validate_parameters(manifest["parameters_schema"], typed, manifest["flow"])
    return typed


def _include_files(manifest: Mapping[str, Any], parameters: Dict[str, Any], artifacts: Any) -> Dict[str, Any]:
    """IncludeFile contents are read here, on the caller's machine, and stored as blobs.

    The container cannot see the caller's files: the start task gets the content by
    reference (the same ``__files__`` entries a local run records).
    """
    from ..flow.parameters import IncludeFile
    from ..runtime.params import FILES_KEY

    files: Dict[str, Any] = {}
    for spec in manifest["parameters"]:
        path = parameters.get(spec["name"])
        if spec["type"] != "file" or path is None:
            continue
        reader = IncludeFile(spec["name"], is_text=spec.get("is_text", True), encoding=spec.get("encoding", "utf-8"))
        files[spec["name"]] = dict(artifacts.save_artifact(manifest["flow"], spec["name"], reader.read(path)))
    return {**parameters, FILES_KEY: files} if files else parameters


def manifest_project_tags(manifest: Mapping[str, Any]) -> Tuple[str, ...]:
    """``project:``/``project_branch:`` tags of a run of a @project deployment (none otherwise)."""
    from ..flow.project import ProjectInfo

    if not manifest.get("project"):
        return ()
    return ProjectInfo(manifest["project"], manifest["branch"], manifest["flow"]).tags


def new_execution_name() -> str:
    """Sortable and unique: the run id will be sfn-<this>."""
    now = datetime.now(timezone.utc)
    return now.strftime("%Y%m%dT%H%M%S") + f"{now.microsecond // 1000:03d}-" + secrets.token_hex(3)


@dataclass
class Triggered:
    flow: str
    run_id: str
    execution_arn: str
    steps: Tuple[str, ...] = ()  # the flow's steps in graph order (from the deploy manifest)


def trigger(
    flow: str,
    raw_parameters: Mapping[str, Any],
    *,
    name: Optional[str] = None,
    tags: Optional[List[str]] = None,
    config: Optional[Mapping[str, Any]] = None,
) -> Triggered:

    config = dict(config or cfg.load_config())
    stores = cfg.stores(config)
    manifest = find_manifest(stores.objects, config, flow, name)
    parameters = typed_parameters(manifest, raw_parameters)
    sfn = client("stepfunctions", config)
    machine = startable_arn(sfn, config, manifest)
    parameters = _include_files(manifest, parameters, stores.artifacts)
    input_text = execution_input(parameters)
    check_input_size(flow, input_text)
    execution = new_execution_name()
    run_id = f"sfn-{execution}"
    username = default_username()
    stores.metadata.create_run(
        flow,
        run_id,
        username=username,
        namespace=default_namespace(),
        tags=run_tags(tags or [], username, SFN_RUNTIME, manifest_project_tags(manifest)),
        parameters=parameters,
    )
    try:
        with aws_errors(f"start an execution of {manifest['name']}"):
            response = sfn.start_execution(
                stateMachineArn=machine,
                name=execution,
                input=input_text,
            )
    except BaseException as exc:
        # The run never started: its record must not stay RUNNING for ever.
        stores.metadata.update_run(
            flow, run_id, status=FAILED, finished_at=now_iso(), error=f"never started: {exc}"
        )
        raise
    return Triggered(flow=flow, run_id=run_id, execution_arn=response["executionArn"],
                     steps=tuple(manifest.get("steps") or ()))


TERMINAL = ("SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED")


def wait_for(
    triggered: Triggered,
    *,
    config: Optional[Mapping[str, Any]] = None,
    poll_seconds: float = 2.0,
    timeout_seconds: Optional[float] = None,
    say: Callable[[str], None] = print,
) -> str:
    """Follow an execution: print progress (steps in graph order, done/failed/running counts,
    elapsed time) when it changes; return its final status."""
    from .progress import progress_line, progress_state

    config = dict(config or cfg.load_config())
    stores = cfg.stores(config)
    sfn = client("stepfunctions", config)
    began = time.monotonic()
    last = ""
    while True:
        with aws_errors("describe execution"):
            status = sfn.describe_execution(executionArn=triggered.execution_arn)["status"]
        tasks = stores.metadata.list_tasks(triggered.flow, triggered.run_id)
        state = progress_state(status, triggered.steps, tasks)
        if state != last:
            say(progress_line(time.monotonic() - began, state))
            last = state
        if status in TERMINAL:
            return status
        if timeout_seconds is not None and time.monotonic() - began > timeout_seconds:
            return status
        time.sleep(poll_seconds)
