"""Parameters at run start and in the start task.

At run start (the local ``run`` command, or ``trigger`` on AWS) the supplied values
(locally, a parameter not given comes from ``SFNCOMPILE_RUN_<NAME>`` or Metaflow's
``METAFLOW_RUN_<NAME>`` when set, before its default) are typed and checked (``resolve_parameters``) and every IncludeFile is read and
stored as a blob; the run record then holds::

    {"alpha": 0.3, "notes": "notes.txt", "__files__": {"notes": {"sha": ..., "size": ..., "type": ...}}}

The start task checks the values again and stores every parameter as an artifact
under its class attribute name (files: the blob stored at run start, by reference).
"""
from __future__ import annotations

import os
import re
from typing import Any, Dict, Mapping, Optional, Tuple

from ..exceptions import ParameterError
from ..flow.flowspec import parameters_of
from ..flow.parameters import Parameter, resolve_parameters

FILES_KEY = "__files__"
# What started the run (@trigger / @trigger_on_finish): kept in the run record, never a parameter.
TRIGGER_KEY = "__trigger__"


def declared(flow_cls: type) -> Dict[str, Parameter]:
    """Declared parameters by parameter name (declaration order)."""
    return {name: param for name, (_attr, param) in parameters_of(flow_cls).items()}


_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _check_file_entries(files: Any, params: Mapping[str, Parameter]) -> Dict[str, Dict[str, Any]]:
    """``__files__`` as the run start stored it: {file parameter: {"sha", "size", "type"}}, nothing else.

    It arrives in the execution input, which anyone allowed to start the machine writes:
    a wrong shape would otherwise surface as a confusing read of a blob that is not there.
    """
    if not isinstance(files, dict):
        raise ParameterError(f"{FILES_KEY} must be an object of file parameter -> stored blob, not {type(files).__name__}")
    for name, entry in files.items():
        param = params.get(name)
        if param is None or not param.is_file:
            raise ParameterError(f"{FILES_KEY} names {name!r}, which is not an IncludeFile parameter of this flow")
        if (
            not isinstance(entry, dict)
            or set(entry) - {"sha", "size", "type"}
            or not isinstance(entry.get("sha"), str)
            or not _SHA256.match(entry["sha"])
            or not isinstance(entry.get("size"), int)
            or entry["size"] < 0
        ):
            raise ParameterError(
                f"{FILES_KEY}[{name!r}] must be {{\"sha\": <64 hex digits>, \"size\": <bytes>, \"type\": ...}}",
                fix="start runs with `sfncompile trigger`, which stores IncludeFile contents and fills this in",
            )
    return dict(files)


def split_run_parameters(run_params: Optional[Mapping[str, Any]]) -> Tuple[Dict[str, Any], Any]:
    """(values by parameter name, IncludeFile blob entries by parameter name, as given: check them)."""
    run_params = dict(run_params or {})
    files = run_params.pop(FILES_KEY, None) or {}
    run_params.pop(TRIGGER_KEY, None)
    return run_params, files


def public_parameters(run_params: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """What to show people: the values, without internal keys."""
    return {k: v for k, v in (run_params or {}).items() if not k.startswith("__")}


def prepare_run_parameters(flow_cls: type, supplied: Mapping[str, Any], save_value) -> Dict[str, Any]:
    """Typed values for the run record; IncludeFiles are read now and stored with ``save_value(content)``.

    ``save_value(value) -> entry`` stores one artifact value and returns its index entry
    ({"sha", "size", "type"}). Raises ParameterError for any bad value.
    """
    params = declared(flow_cls)
    supplied = dict(supplied)
    trigger = supplied.pop(TRIGGER_KEY, None)
    values = resolve_parameters(params, with_env_defaults(flow_cls, supplied))
    files: Dict[str, Dict[str, Any]] = {}
    for name, param in params.items():
        if param.is_file and values.get(name) is not None:
            content = param.read(values[name])  # type: ignore[attr-defined]
            files[name] = dict(save_value(content))
    out: Dict[str, Any] = dict(values)
    if files:
        out[FILES_KEY] = files
    if trigger is not None:
        out[TRIGGER_KEY] = trigger
    return out


def start_task_parameters(flow_cls: type, run_params: Optional[Mapping[str, Any]]):
    """Checked again in the start task. Returns (values by attribute, entries by attribute).

    Values are to be stored as new artifacts; entries (IncludeFile contents stored at
    run start) are carried by reference. A path the run's input names is never read
    here (only its stored content is used); an IncludeFile left at its default is read
    from the flow's code package.
    """
    params = declared(flow_cls)
    values, files = split_run_parameters(run_params)
    files = _check_file_entries(files, params)
    typed = resolve_parameters(params, {k: v for k, v in values.items() if v is not None})
    by_attr: Dict[str, Any] = {}
    entries: Dict[str, Dict[str, Any]] = {}
    for name, param in params.items():
        attr = param.attribute
        if param.is_file:
            if name in files:
                entries[attr] = dict(files[name])
            elif values.get(name) is not None:
                # A path from the run's input: on AWS the container must not read a file
                # the caller named (it could be any file of the image); content arrives by reference.
                raise ParameterError(
                    f"parameter '{name}': the run's input names file {values[name]!r} but carries no stored "
                    f"content for it in {FILES_KEY}",
                    fix="start runs with `sfncompile run` or `sfncompile trigger`, which store the file's content",
                )
            elif typed.get(name) is not None:
                # The flow's own default, relative to the flow file's directory: deploy packs
                # it there (aws/package.py), so a scheduled execution finds it on Batch too.
                by_attr[attr] = param.read(_beside_flow(flow_cls, typed[name]))  # type: ignore[attr-defined]
            else:
                by_attr[attr] = None
        else:
            by_attr[attr] = param.step_value(typed.get(name))
    return by_attr, entries


def _beside_flow(flow_cls: type, path: str) -> str:
    if os.path.isabs(os.path.expanduser(path)):
        return path
    import inspect

    return os.path.join(os.path.dirname(os.path.abspath(inspect.getfile(flow_cls))), path)


ENV_PREFIXES = ("SFNCOMPILE_RUN_", "METAFLOW_RUN_")  # ours first; Metaflow's so its flows' habits work


def env_var_names(name: str) -> Tuple[str, ...]:
    """Environment variables that give a parameter's value at run start: ``SFNCOMPILE_RUN_TEST_SIZE``, ..."""
    suffix = name.upper().replace("-", "_")
    return tuple(prefix + suffix for prefix in ENV_PREFIXES)


def with_env_defaults(flow_cls: type, supplied: Mapping[str, Any], environ: Optional[Mapping[str, str]] = None
                      ) -> Dict[str, Any]:
    """``supplied`` plus, for each parameter not given, its value from the environment (CLI > env > default)."""
    environ = os.environ if environ is None else environ
    out = {k: v for k, v in supplied.items() if v is not None}
    for name in declared(flow_cls):
        if name in out:
            continue
        for var in env_var_names(name):
            if var in environ:
                out[name] = environ[var]
                break
    return out


def parameters_from_json(text: Optional[str], source: str = "--params-json") -> Optional[Dict[str, Any]]:
    """Parameters from JSON: an object of values, or the execution input ``{"parameters": {...}}``.

    Both ``--params-json`` and a Step Functions execution's input (``runtime/execution_input.py``)
    are read here; ``source`` names which in errors."""
    if not text:
        return None
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParameterError(f"{source} is not valid JSON: {exc}") from None
    if isinstance(data, dict) and set(data) == {"parameters"} and isinstance(data["parameters"], dict):
        data = data["parameters"]
    if not isinstance(data, dict):
        raise ParameterError(f"{source} must be a JSON object of parameter values",
                             fix='pass {"parameters": {"name": value, ...}}')
    return data
