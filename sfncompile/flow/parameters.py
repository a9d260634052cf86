"""Flow parameters: declared on the class, typed, validated wherever values arrive.

One ``coerce`` serves the CLI (strings typed by a user), Step Functions execution
input (JSON values) and the start task (checked again), so all three agree.
"""
from __future__ import annotations

import json
import os
import re
from typing import Any, Dict, Mapping, Optional

from ..exceptions import FlowDefinitionError, ParameterError
from .decorators import _caller


class _JSONType:
    """Marker type: the parameter holds any JSON value (given as JSON text on the CLI)."""

    name = "json"

    def __repr__(self) -> str:
        return "JSONType"


JSONType = _JSONType()

_TYPE_NAMES = {str: "str", int: "int", float: "float", bool: "bool"}
# Attribute names FlowSpec itself uses: no artifact or parameter attribute may take them.
# A parameter's command-line name is free (``user = Parameter("name")`` is fine).
RESERVED_ATTRIBUTES = frozenset({"next", "input", "index", "foreach_stack", "merge_artifacts", "name", "inputs"})
# What a parameter's name may look like: it becomes `--<name>` and a JSON Schema property.
_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_-]*$")
_TYPE_FIXES = {
    list: "for a list use type=JSONType (--x '[1, 2]') or separator=',' (--x a,b)",
    tuple: "for a list use type=JSONType (--x '[1, 2]') or separator=',' (--x a,b)",
    dict: "for a dict use type=JSONType (--x '{\"k\": 1}')",
}


class Parameter:
    """``alpha = Parameter("alpha", default=0.1, help="learning rate")``.

    ``type`` is str, int, float, bool or JSONType; when omitted it follows the
    default (str if there is none). ``required=True`` means a value must be given.
    ``separator=","`` (str parameters) splits the value: the steps see a list of str,
    as in Metaflow. Mistakes are FlowDefinitionErrors naming the file:line.
    """

    is_file = False

    def __init__(
        self,
        name: str,
        default: Any = None,
        type: Any = None,
        help: Optional[str] = None,
        required: bool = False,
        separator: Optional[str] = None,
        **unknown: Any,
    ) -> None:
        file, line = _caller()

        def bad(message: str, fix: Optional[str] = None) -> FlowDefinitionError:
            return FlowDefinitionError(message, file=file, line=line, fix=fix)

        if unknown:
            raise bad(
                f"Parameter({name!r}) got unknown argument(s) {', '.join(sorted(unknown))}",
                fix="Parameter accepts name, default, type, help, required, separator",
            )
        if not isinstance(name, str) or not _NAME.match(name):
            raise bad(
                f"Parameter name {name!r} is not usable as a --option",
                fix="use letters, digits, '_' and '-': Parameter('alpha', default=0.1)",
            )
        self.name = name
        self.attribute = name  # replaced by the class attribute name (__set_name__)
        self.help = help
        self.required = bool(required)
        try:
            if type is None:
                type = _infer_type(default)
        except TypeError as exc:
            raise bad(f"Parameter({name!r}): {exc}", fix="pass type=str, int, float, bool or JSONType") from None
        if type is not JSONType and type not in _TYPE_NAMES:
            raise bad(
                f"Parameter({name!r}): type={getattr(type, '__name__', type)!s} is not a parameter type",
                fix=_TYPE_FIXES.get(type, "use type=str, int, float, bool or JSONType"),
            )
        self.type = type
        self.type_name = "json" if type is JSONType else _TYPE_NAMES[type]
        if separator is not None and (not isinstance(separator, str) or not separator or type is not str):
            raise bad(
                f"Parameter({name!r}): separator= needs a non-empty string and a str parameter",
                fix="Parameter('items', default='a,b', separator=',') gives the steps ['a', 'b']",
            )
        self.separator = separator
        try:
            self.default = None if default is None else self.coerce(default, source="default")
        except ParameterError as exc:
            raise bad(exc.message, fix=f"make the default a {self.type_name}") from None

    def step_value(self, value: Any) -> Any:
        """What steps see for a run value: a str split on ``separator`` (a list), else the value itself."""
        if self.separator is not None and isinstance(value, str):
            return value.split(self.separator)
        return value

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
            file, line = _caller()
            raise FlowDefinitionError(
                f"IncludeFile({name!r}) got unknown argument(s) {', '.join(sorted(unknown))}",
                file=file,
                line=line,
                fix="IncludeFile accepts name, default, help, required, is_text, encoding",
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


def match_parameter_name(key: str, names: Any) -> Optional[str]:
    """The declared parameter a command-line key names: `--test-size`, `--test_size` and `--learning-rate` all work."""
    if key in names:
        return key
    wanted = key.replace("_", "-")
    for name in names:
        if name.replace("_", "-") == wanted:
            return name
    return None


def reserved_parameter_names() -> frozenset:
    """Attribute names no parameter may be bound to (its command-line name is free)."""
    return RESERVED_ATTRIBUTES
