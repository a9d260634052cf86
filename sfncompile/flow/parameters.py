"""Flow parameters: declared on the class, typed, validated wherever values arrive.

One ``coerce`` serves the CLI (strings typed by a user), Step Functions execution
input (JSON values) and the start task (checked again), so all three agree.
"""
from __future__ import annotations

import json
import os
from typing import Any, Dict, Mapping, Optional

from ..exceptions import ParameterError


class _JSONType:
    """Marker type: the parameter holds any JSON value (given as JSON text on the CLI)."""

    name = "json"

    def __repr__(self) -> str:
        return "JSONType"


JSONType = _JSONType()

_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool"}
# Attribute names FlowSpec itself uses: no artifact or parameter may take them.
RESERVED_ATTRIBUTES = frozenset({"next", "input", "index", "foreach_stack", "merge_artifacts", "name", "inputs"})
# Parameters also may not shadow what a run records about itself.
_RESERVED_NAMES = RESERVED_ATTRIBUTES | {"run_id", "tags", "namespace"}


class Parameter:
    """``alpha = Parameter("alpha", default=0.1, help="learning rate")``.

    ``type`` is str, int, float, bool or JSONType; when omitted it follows the
    default (str if there is none). ``required=True`` means a value must be given.
    """

    is_file = False

    def __init__(
        self,
        name: str,
        default: Any = None,
        type: Any = None,
        help: Optional[str] = None,
        required: bool = False,
        **unknown: Any,
    ) -> None:
        if unknown:
            raise TypeError(
                f"Parameter({name!r}) got unknown argument(s) {', '.join(sorted(unknown))}; "
                "it accepts name, default, type, help, required"
            )
        if not isinstance(name, str) or not name:
            raise TypeError("Parameter needs a name: Parameter('alpha', default=0.1)")
        self.name = name
        self.attribute = name  # replaced by the class attribute name (__set_name__)
        self.help = help
        self.required = bool(required)
        if type is None:
            type = _infer_type(default)
        if type is not JSONType and type not in _TYPE_NAMES:
            raise TypeError(f"Parameter({name!r}): type must be str, int, float, bool or JSONType, got {type!r}")
        self.type = type
        self.type_name = "json" if type is JSONType else _TYPE_NAMES[type]
        self.default = None if default is None else self.coerce(default, source="default")

    # A data descriptor: inside a step, ``self.alpha`` is the run's value (an artifact of
    # the start step, inherited everywhere); assigning to it is a mistake we report.
    def __set_name__(self, owner: type, attribute: str) -> None:
        self.attribute = attribute

    def __get__(self, instance: Any, owner: Any = None) -> Any:
        if instance is None:
            return self
        return instance._sfn_load(self.attribute)

    def __set__(self, instance: Any, value: Any) -> None:
        raise AttributeError(f"parameter '{self.name}' is read-only inside a step; store a new artifact instead")

    def coerce(self, value: Any, *, source: str = "value") -> Any:
        """Turn a supplied value (string from a CLI, or JSON value) into the declared type."""
        try:
            return coerce_value(self.type_name, value)
        except (ValueError, TypeError) as exc:
            raise ParameterError(
                f"parameter '{self.name}': {source} {value!r} is not a valid {self.type_name} ({exc})",
                fix=_fix_for(self.type_name, self.name),
            ) from None

    def json_schema(self) -> Dict[str, Any]:
        schema: Dict[str, Any] = {
            "str": {"type": "string"},
            "int": {"type": "integer"},
            "float": {"type": "number"},
            "bool": {"type": "boolean"},
            "json": {},
        }[self.type_name]
        schema = dict(schema)
        if self.help:
            schema["description"] = self.help
        if self.default is not None:
            schema["default"] = self.default
        return schema

    def __repr__(self) -> str:
        return f"Parameter({self.name!r}, type={self.type_name}, default={self.default!r})"


class IncludeFile(Parameter):
    """A parameter whose value is a path; the file's content is read at run start and versioned as an artifact."""

    is_file = True

    def __init__(
        self,
        name: str,
        default: Optional[str] = None,
        help: Optional[str] = None,
        required: bool = False,
        is_text: bool = True,
        encoding: str = "utf-8",
        **unknown: Any,
    ) -> None:
        if unknown:
            raise TypeError(
                f"IncludeFile({name!r}) got unknown argument(s) {', '.join(sorted(unknown))}; "
                "it accepts name, default, help, required, is_text, encoding"
            )
        self.is_text = is_text
        self.encoding = encoding
        super().__init__(name, default=default, type=str, help=help, required=required)
        self.type_name = "file"

    def coerce(self, value: Any, *, source: str = "value") -> Any:
        if not isinstance(value, str):
            raise ParameterError(f"parameter '{self.name}': {source} {value!r} must be a file path")
        return value

    def read(self, path: str) -> Any:
        """Read the file's content (text or bytes), with an error that names the parameter."""
        try:
            with open(os.path.expanduser(path), "rb") as fh:
                data = fh.read()
        except OSError as exc:
            raise ParameterError(
                f"parameter '{self.name}': cannot read file {path!r}: {exc.strerror}",
                fix=f"pass an existing file with --{self.name} PATH",
            ) from None
        return data.decode(self.encoding) if self.is_text else data

    def json_schema(self) -> Dict[str, Any]:
        schema: Dict[str, Any] = {"type": "string"}
        if self.help:
            schema["description"] = self.help
        return schema


def _infer_type(default: Any) -> Any:
    if default is None:
        return str
    if isinstance(default, bool):
        return bool
    for t in (int, float, str):
        if isinstance(default, t):
            return t
    if isinstance(default, (dict, list)):
        return JSONType
    raise TypeError(f"cannot infer a parameter type from default {default!r}; pass type=...")


_TRUE = {"true", "yes", "1", "on"}
_FALSE = {"false", "no", "0", "off"}


def coerce_value(type_name: str, value: Any) -> Any:
    if type_name == "json":
        return json.loads(value) if isinstance(value, str) else json.loads(json.dumps(value))
    if type_name in ("str", "file"):  # a file parameter's value is its path
        if not isinstance(value, str):
            raise TypeError(f"expected a string, got {type(value).__name__}")
        return value
    if type_name == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.lower() in _TRUE | _FALSE:
            return value.lower() in _TRUE
        raise ValueError("expected true or false")
    if type_name == "int":
        if isinstance(value, bool) or isinstance(value, float) and not value.is_integer():
            raise TypeError(f"expected an integer, got {value!r}")
        if isinstance(value, str):
            return int(value.strip())
        if isinstance(value, (int, float)):
            return int(value)
        raise TypeError(f"expected an integer, got {type(value).__name__}")
    if type_name == "float":
        if isinstance(value, bool):
            raise TypeError("expected a number, got a boolean")
        if isinstance(value, (int, float)):
            return float(value)
        if isinstance(value, str):
            return float(value.strip())
        raise TypeError(f"expected a number, got {type(value).__name__}")
    raise TypeError(f"unknown parameter type {type_name}")


def _fix_for(type_name: str, name: str) -> str:
    examples = {"int": "42", "float": "0.3", "bool": "true", "str": "text", "json": "'[1, 2, 3]'", "file": "path/to/file"}
    return f"pass --{name} {examples.get(type_name, '...')}"


def resolve_parameters(declared: Mapping[str, Parameter], supplied: Mapping[str, Any]) -> Dict[str, Any]:
    """Typed values for every declared parameter (by parameter name): supplied, else default.

    Raises ParameterError for unknown names, bad types and missing required values.
    IncludeFile values stay paths here; the start task reads them.
    """
    unknown = sorted(set(supplied) - set(declared))
    if unknown:
        known = ", ".join(sorted(declared)) or "none"
        raise ParameterError(
            f"unknown parameter(s): {', '.join(unknown)}", fix=f"this flow's parameters are: {known}"
        )
    values: Dict[str, Any] = {}
    for name, param in declared.items():
        if name in supplied and supplied[name] is not None:
            values[name] = param.coerce(supplied[name])
        elif param.required and param.default is None:
            raise ParameterError(f"parameter '{name}' is required", fix=_fix_for(param.type_name, name))
        else:
            values[name] = param.default
    return values


def reserved_parameter_names() -> frozenset:
    return _RESERVED_NAMES
