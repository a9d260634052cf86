"""@pypi / @conda on steps, @pypi_base / @conda_base on the flow: package environments.

Only the declaration lives here (validated, no I/O); ``sfncompile.environments``
resolves it with uv. ``@conda`` is Metaflow's spelling and is resolved from PyPI.
"""
from __future__ import annotations

import re
from typing import Any, Dict, Optional

from ..exceptions import FlowDefinitionError
from .decorators import FLOW_DECORATORS_ATTR, STEP_DECORATOR_SPECS, _caller, _check_args, _make_step_decorator

# A PyPI project name (PEP 508), optionally with extras: "scikit-learn", "dask[dataframe]".
_NAME = re.compile(r"^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?(\[[A-Za-z0-9._,-]+\])?$")
_VERSION_CHARS = re.compile(r"^[A-Za-z0-9.*+!<>=~,\s-]*$")
_PYTHON = re.compile(r"^3\.\d{1,2}$")


def _packages(deco: str, arg: str, value: Any) -> Dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ValueError(f"@{deco}({arg}=...) must be a dict of package name to version, e.g. {{'pandas': '2.2.3'}}")
    out = {}
    for name, version in value.items():
        if not isinstance(name, str) or not _NAME.match(name):
            raise ValueError(f"@{deco}({arg}=...): {name!r} is not a package name")
        version = "" if version is None else version
        if not isinstance(version, str) or not _VERSION_CHARS.match(version):
            raise ValueError(f"@{deco}({arg}=...): version of {name!r} must be a string like '1.5.2' or '>=2.2', got {version!r}")
        out[name] = version.strip()
    return dict(sorted(out.items()))


def _python(deco: str, value: Any) -> Optional[str]:
    if value is None:
        return None
    if not isinstance(value, str) or not _PYTHON.match(value):
        raise ValueError(f"@{deco}(python=...) must be a 'major.minor' string such as '3.11', got {value!r}")
    return value


def _validator(deco: str, arg: str):
    def validate(a: Dict[str, Any]) -> Dict[str, Any]:
        return {
            "packages": _packages(deco, arg, a.get(arg)),
            "python": _python(deco, a.get("python")),
            "disabled": bool(a.get("disabled", False)),
            "source": "conda" if deco.startswith("conda") else "pypi",
        }

    return validate


STEP_DECORATOR_SPECS["pypi"] = (("packages", "python", "disabled"), _validator("pypi", "packages"))
STEP_DECORATOR_SPECS["conda"] = (("libraries", "python", "disabled"), _validator("conda", "libraries"))

pypi = _make_step_decorator("pypi")
conda = _make_step_decorator("conda")
pypi.__doc__ = (
    "@pypi(packages={'pandas': '2.2.3'}, python='3.11', disabled=False): the step runs in its own environment "
    "with these PyPI packages (over @pypi_base); disabled=True runs it without one."
)
conda.__doc__ = (
    "@conda(libraries={...}, python=...): Metaflow's spelling, resolved from PyPI (same names for most "
    "data-science libraries); a library PyPI lacks is an error at `check`."
)


def _flow_decorator(deco: str, arg: str):
    allowed = (arg, "python", "disabled")
    validate = _validator(deco, arg)

    def decorator(cls: Any = None, **kwargs: Any) -> Any:
        file, line = _caller()
        _check_args(deco, allowed, kwargs, file, line)

        def apply(flow_cls: Any) -> Any:
            if not isinstance(flow_cls, type):
                raise FlowDefinitionError(
                    f"@{deco} is a flow decorator", file=file, line=line, fix=f"put @{deco} above `class ...(FlowSpec)`"
                )
            try:
                settings = validate(kwargs)
            except ValueError as exc:
                raise FlowDefinitionError(str(exc), file=file, line=line) from None
            decorators = dict(getattr(flow_cls, FLOW_DECORATORS_ATTR, {}))
            if "environment_base" in decorators:
                raise FlowDefinitionError(
                    f"the flow has two base environments (@{deco} and @{decorators['environment_base']['decorator']})",
                    file=file, line=line, fix="keep one of @pypi_base / @conda_base",
                )
            decorators["environment_base"] = {**settings, "decorator": deco, "file": file, "line": line}
            setattr(flow_cls, FLOW_DECORATORS_ATTR, decorators)
            return flow_cls

        return apply(cls) if cls is not None else apply

    decorator.__name__ = decorator.__qualname__ = deco
    decorator.__doc__ = f"@{deco}({arg}={{...}}, python='3.11'): the flow's base environment; a step's own decorator extends it."
    return decorator


pypi_base = _flow_decorator("pypi_base", "packages")
conda_base = _flow_decorator("conda_base", "libraries")
