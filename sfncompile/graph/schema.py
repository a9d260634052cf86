"""The JSON Schema of a flow's parameters: checked before an execution starts and again in the start task."""
from __future__ import annotations

from typing import Any, Dict, List

from .ir import FlowGraph

_TYPES = {"str": {"type": "string"}, "int": {"type": "integer"}, "float": {"type": "number"},
          "bool": {"type": "boolean"}, "json": {}, "file": {"type": "string"}}


def parameters_schema(graph: FlowGraph) -> Dict[str, Any]:
    properties: Dict[str, Any] = {}
    required: List[str] = []
    for p in graph.parameters:
        prop = dict(_TYPES[p.type])
        if p.help:
            prop["description"] = p.help
        if p.default is not None:
            prop["default"] = p.default
        properties[p.name] = prop
        if p.required and p.default is None:
            required.append(p.name)
    schema: Dict[str, Any] = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": f"{graph.name} parameters",
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    return schema


def validate_parameters(schema: Dict[str, Any], values: Dict[str, Any], flow: str = "") -> None:
    """Raise ParameterError naming the parameter, for values that do not fit the schema."""
    import jsonschema

    from ..exceptions import ParameterError

    errors = sorted(jsonschema.Draft202012Validator(schema).iter_errors(values), key=lambda e: list(e.path))
    if not errors:
        return
    e = errors[0]
    where = ".".join(str(p) for p in e.path)
    if e.validator == "required":
        missing = e.message.split("'")[1] if "'" in e.message else e.message
        raise ParameterError(f"parameter '{missing}' is required{f' by {flow}' if flow else ''}",
                             fix=f"pass --{missing} VALUE")
    if e.validator == "additionalProperties":
        known = ", ".join(schema.get("properties", {})) or "none"
        raise ParameterError(f"{e.message}", fix=f"this flow's parameters are: {known}")
    expected = e.schema.get("type", "a valid value") if isinstance(e.schema, dict) else "a valid value"
    raise ParameterError(f"parameter '{where}': {e.instance!r} is not of type {expected}",
                         fix=f"pass --{where} with a {expected} value")
