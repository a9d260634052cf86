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
from typing import Any, Dict, Mapping, Optional, Tuple

from ..exceptions import ParameterError
from ..flow.flowspec import parameters_of
from ..flow.parameters import Parameter, resolve_parameters

FILES_KEY = "__files__"


def declared(flow_cls: type) -> Dict[str, Parameter]:
    """Declared parameters by parameter name (declaration order)."""
    return {name: param for name, (_attr, param) in parameters_of(flow_cls).items()}


def split_run_parameters(run_params: Optional[Mapping[str, Any]]) -> Tuple[Dict[str, Any], Dict[str, Dict[str, Any]]]:
    """(values by parameter name, IncludeFile blob entries by parameter name)."""
    run_params = dict(run_params or {})
    files = run_params.pop(FILES_KEY, None) or {}
    return run_params, dict(files)


def public_parameters(run_params: Optional[Mapping[str, Any]]) -> Dict[str, Any]:
    """What to show people: the values, without internal keys."""
    return {k: v for k, v in (run_params or {}).items() if not k.startswith("__")}


def prepare_run_parameters(flow_cls: type, supplied: Mapping[str, Any], save_value) -> Dict[str, Any]:
    """Typed values for the run record; IncludeFiles are read now and stored with ``save_value(content)``.

    ``save_value(value) -> entry`` stores one artifact value and returns its index entry
    ({"sha", "size", "type"}). Raises ParameterError for any bad value.
    """
    params = declared(flow_cls)
    values = resolve_parameters(params, with_env_defaults(flow_cls, supplied))
    files: Dict[str, Dict[str, Any]] = {}
    for name, param in params.items():
        if param.is_file and values.get(name) is not None:
            content = param.read(values[name])  # type: ignore[attr-defined]
            files[name] = dict(save_value(content))
    out: Dict[str, Any] = dict(values)
    if files:
        out[FILES_KEY] = files
    return out


def start_task_parameters(flow_cls: type, run_params: Optional[Mapping[str, Any]]):
    """Checked again in the start task. Returns (values by attribute, entries by attribute).

    Values are to be stored as new artifacts; entries (IncludeFile contents stored at
    run start) are carried by reference. An IncludeFile whose content was not stored
    at run start (e.g. an execution started by hand) is read here.
    """
    params = declared(flow_cls)
    values, files = split_run_parameters(run_params)
    typed = resolve_parameters(params, {k: v for k, v in values.items() if v is not None})
    by_attr: Dict[str, Any] = {}
    entries: Dict[str, Dict[str, Any]] = {}
    for name, param in params.items():
        attr = param.attribute
        if param.is_file:
            if name in files:
                entries[attr] = dict(files[name])
            elif typed.get(name) is not None:
                by_attr[attr] = param.read(typed[name])  # type: ignore[attr-defined]
            else:
                by_attr[attr] = None
        else:
            by_attr[attr] = param.step_value(typed.get(name))
    return by_attr, entries


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


def parameters_from_json(text: Optional[str]) -> Optional[Dict[str, Any]]:
    """``--params-json`` of the task command: a JSON object, or {"parameters": {...}} as Step Functions passes it."""
    if not text:
        return None
    import json

    try:
        data = json.loads(text)
    except ValueError as exc:
        raise ParameterError(f"--params-json is not valid JSON: {exc}") from None
    if isinstance(data, dict) and set(data) == {"parameters"} and isinstance(data["parameters"], dict):
        data = data["parameters"]
    if not isinstance(data, dict):
        raise ParameterError("--params-json must be a JSON object of parameter values")
    return data
