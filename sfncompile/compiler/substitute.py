"""Fill ``${Placeholder}``s in a definition, as CloudFormation ``DefinitionSubstitutions`` would.

Values can land inside intrinsic-function strings (``States.Format('${DatastorePrefix}/...')``),
where ``'``, ``{``, ``}`` and ``\\`` must be escaped; this module escapes them there, so
any value is safe. (CloudFormation does not escape: keep such characters out of
names deployed that way.)
"""
from __future__ import annotations

import re
from typing import Any, Dict, Mapping, Set, Tuple

from ..exceptions import ConfigError
from . import intrinsics as asl

_PLACEHOLDER = re.compile(r"\$\{([A-Za-z0-9_]+)\}")

# sfncompile config key (docs/internals.md, "AWS configuration") -> placeholder.
CONFIG_KEYS = {
    "job_queue": asl.JOB_QUEUE,
    "job_definition": asl.JOB_DEFINITION,
    "table": asl.METADATA_TABLE,
    "bucket": asl.DATASTORE_BUCKET,
    "prefix": asl.DATASTORE_PREFIX,
    "stack": asl.STACK,
}


def values_from_config(config: Mapping[str, Any], flow_name: str) -> Dict[str, str]:
    """Placeholder values from an sfncompile config (keys it lacks stay placeholders)."""
    values = {asl.FLOW_NAME: flow_name}
    for key, placeholder in CONFIG_KEYS.items():
        value = config.get(key)
        if value is None:
            continue
        if not isinstance(value, str):
            raise ConfigError(f"config key '{key}' must be a string, got {value!r}", fix="run `sfncompile configure`")
        values[placeholder] = value
    if asl.DATASTORE_PREFIX in values:
        prefix = values[asl.DATASTORE_PREFIX].strip("/")
        if not prefix:
            raise ConfigError(
                "config key 'prefix' is empty; the datastore lives under <bucket>/<prefix>/",
                fix="set 'prefix' (the stack output DatastorePrefix, e.g. 'sfncompile')",
            )
        values[asl.DATASTORE_PREFIX] = prefix
    return values


def _fill(text: str, values: Mapping[str, str], missing: Set[str]) -> str:
    in_intrinsic = text.startswith("States.")

    def replace(match: "re.Match[str]") -> str:
        name = match.group(1)
        if name not in values:
            missing.add(name)
            return match.group(0)
        value = values[name]
        return asl.literal(value)[1:-1] if in_intrinsic else value

    return _PLACEHOLDER.sub(replace, text)


def _walk(node: Any, values: Mapping[str, str], missing: Set[str]) -> Any:
    if isinstance(node, str):
        return _fill(node, values, missing)
    if isinstance(node, dict):
        return {key: _walk(value, values, missing) for key, value in node.items()}
    if isinstance(node, list):
        return [_walk(value, values, missing) for value in node]
    return node


def substitute(definition: Mapping[str, Any], values: Mapping[str, str]) -> Tuple[Dict[str, Any], Tuple[str, ...]]:
    """(a new definition with ``values`` filled in, placeholders left unfilled, sorted)."""
    missing: Set[str] = set()
    filled = _walk(definition, values, missing)
    return filled, tuple(sorted(missing))


def placeholders_in(definition: Mapping[str, Any]) -> Tuple[str, ...]:
    """Every placeholder a definition uses, sorted (what deploy must substitute)."""
    return substitute(definition, {})[1]
