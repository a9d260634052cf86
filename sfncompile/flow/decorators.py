"""Step and flow decorators: they only record settings; backends give them meaning.

``@retry``, ``@catch``, ``@timeout``, ``@resources``, ``@batch``, ``@environment`` and
``@foreach`` go above ``@step`` and store their (validated) settings on the step
function in ``__sfn_decorators__``. ``@schedule`` goes on the flow class. Every
decorator accepts only its documented arguments; anything else is a clear error
naming the file and line.
"""
from __future__ import annotations

import sys
from types import FrameType
from typing import Any, Callable, Dict, List, Optional, Tuple

from ..exceptions import FlowDefinitionError

STEP_DECORATORS_ATTR = "__sfn_decorators__"
FLOW_DECORATORS_ATTR = "__sfn_flow_decorators__"
IS_STEP_ATTR = "__sfn_step__"


def _caller() -> Tuple[str, int]:
    """file:line of the user code that applied a decorator (outside this package)."""
    frame: Optional[FrameType] = sys._getframe(1)
    here = __file__.rsplit("/", 1)[0]
    while frame is not None and frame.f_code.co_filename.startswith(here):
        frame = frame.f_back
    if frame is None:
        return "<unknown>", 0
    return frame.f_code.co_filename, frame.f_lineno


def _number(name: str, deco: str, value: Any, *, minimum: float = 0, integer: bool = False) -> Any:
    ok = isinstance(value, int) if integer else isinstance(value, (int, float))
    if isinstance(value, bool) or not ok or value < minimum:
        kind = "an integer" if integer else "a number"
        raise ValueError(f"@{deco}({name}=...) must be {kind} >= {minimum}, got {value!r}")
    return value


DEFAULT_MINUTES_BETWEEN_RETRIES = 2


def _validate_retry(a: Dict[str, Any]) -> Dict[str, Any]:
    """Step Functions waits ``minutes_between_retries`` (default 2); a local run waits only when it was given.

    That is Metaflow's behaviour: its local runtime retries at once unless the user
    asked for a delay, so ``local_minutes_between_retries`` is 0 unless set.
    """
    explicit = a.get("minutes_between_retries")
    minutes = _number(
        "minutes_between_retries", "retry", DEFAULT_MINUTES_BETWEEN_RETRIES if explicit is None else explicit
    )
    return {
        "times": _number("times", "retry", a.get("times", 3), integer=True),
        "minutes_between_retries": minutes,
        "local_minutes_between_retries": 0 if explicit is None else minutes,
    }


def _validate_catch(a: Dict[str, Any]) -> Dict[str, Any]:
    var = a.get("var")
    if var is not None and (not isinstance(var, str) or not var.isidentifier()):
        raise ValueError(f"@catch(var=...) must be an attribute name, got {var!r}")
    return {"var": var, "print_exception": bool(a.get("print_exception", True))}


def _validate_timeout(a: Dict[str, Any]) -> Dict[str, Any]:
    total = 0.0
    for unit, factor in (("seconds", 1), ("minutes", 60), ("hours", 3600)):
        total += _number(unit, "timeout", a.get(unit, 0)) * factor
    if total <= 0:
        raise ValueError("@timeout needs a positive duration: seconds=, minutes= and/or hours=")
    return {"seconds": int(total) if float(total).is_integer() else total}


def _resources(deco: str, a: Dict[str, Any]) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    for key, integer in (("cpu", False), ("memory", True), ("gpu", True)):
        if a.get(key) is not None:
            out[key] = _number(key, deco, a[key], minimum=0, integer=integer)
    return out


def _validate_resources(a: Dict[str, Any]) -> Dict[str, Any]:
    return _resources("resources", a)


def _validate_batch(a: Dict[str, Any]) -> Dict[str, Any]:
    out = _resources("batch", a)
    for key in ("image", "queue"):
        if a.get(key) is not None:
            if not isinstance(a[key], str) or not a[key]:
                raise ValueError(f"@batch({key}=...) must be a non-empty string, got {a[key]!r}")
            out[key] = a[key]
    return out


# Arguments of Metaflow's @kubernetes that describe a Kubernetes pod: accepted so Metaflow flows
# run unchanged, but a step runs as an AWS Batch job here, where they mean nothing.
KUBERNETES_ONLY = (
    "annotations", "compute_pool", "disk", "gpu_vendor", "hostname_resolution_timeout", "image_pull_policy",
    "image_pull_secrets", "labels", "namespace", "node_selector", "persistent_volume_claims", "port", "qos",
    "secrets", "security_context", "service_account", "shared_memory", "tmpfs_path", "tmpfs_size",
    "tmpfs_tempfs", "tolerations", "use_tmpfs",
)


def _validate_kubernetes(a: Dict[str, Any]) -> Dict[str, Any]:
    """@kubernetes: cpu/memory/gpu size the Batch job (as @resources), image picks its image (as @batch)."""
    out = _resources("kubernetes", a)
    if a.get("image") is not None:
        if not isinstance(a["image"], str) or not a["image"]:
            raise ValueError(f"@kubernetes(image=...) must be a non-empty string, got {a['image']!r}")
        out["image"] = a["image"]
    ignored = sorted(k for k in KUBERNETES_ONLY if a.get(k) is not None)
    if ignored:
        out["no_effect_on_batch"] = tuple(ignored)
    return out


def _validate_environment(a: Dict[str, Any]) -> Dict[str, Any]:
    env = a.get("vars", {})
    if not isinstance(env, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in env.items()):
        raise ValueError("@environment(vars=...) must be a dict of strings to strings")
    return {"vars": dict(sorted(env.items()))}


FOREACH_MODES = ("auto", "inline", "distributed")


def _validate_foreach(a: Dict[str, Any]) -> Dict[str, Any]:
    mode = a.get("mode", "auto")
    if mode not in FOREACH_MODES:
        raise ValueError(f"@foreach(mode=...) must be one of {', '.join(FOREACH_MODES)}, got {mode!r}")
    return {
        "mode": mode,
        "max_concurrency": _number("max_concurrency", "foreach", a.get("max_concurrency", 0), integer=True),
    }


# name -> (allowed arguments, validator, may be used bare without parentheses)
STEP_DECORATOR_SPECS: Dict[str, Tuple[Tuple[str, ...], Callable[[Dict[str, Any]], Dict[str, Any]]]] = {
    "retry": (("times", "minutes_between_retries"), _validate_retry),
    "catch": (("var", "print_exception"), _validate_catch),
    "timeout": (("seconds", "minutes", "hours"), _validate_timeout),
    "resources": (("cpu", "memory", "gpu"), _validate_resources),
    "batch": (("image", "queue", "cpu", "memory", "gpu"), _validate_batch),
    "kubernetes": (("cpu", "memory", "gpu", "image") + KUBERNETES_ONLY, _validate_kubernetes),
    "environment": (("vars",), _validate_environment),
    "foreach": (("mode", "max_concurrency"), _validate_foreach),
}


def _check_args(deco: str, allowed: Tuple[str, ...], kwargs: Dict[str, Any], file: str, line: int) -> None:
    unknown = sorted(set(kwargs) - set(allowed))
    if unknown:
        raise FlowDefinitionError(
            f"@{deco} got unknown argument(s) {', '.join(unknown)}",
            file=file,
            line=line,
            fix=f"@{deco} accepts only: {', '.join(allowed)}",
        )


def require_step(deco: str, func: Any, file: str, line: int) -> None:
    """A step decorator must sit above ``@step``: say so, with file:line, when it does not."""
    if not callable(func) or not getattr(func, IS_STEP_ATTR, False):
        name = getattr(func, "__name__", repr(func))
        raise FlowDefinitionError(
            f"@{deco} is applied to '{name}', which is not a step",
            file=file,
            line=line,
            step=name if callable(func) else None,
            fix=f"put @{deco} above @step (decorators apply bottom-up, so @step must be the innermost)",
        )


def _make_step_decorator(deco: str) -> Callable[..., Any]:
    allowed, validate = STEP_DECORATOR_SPECS[deco]

    def apply(func: Any, kwargs: Dict[str, Any], file: str, line: int) -> Any:
        require_step(deco, func, file, line)
        try:
            settings = validate(kwargs)
        except ValueError as exc:
            raise FlowDefinitionError(str(exc), file=file, line=line, step=func.__name__) from None
        decorators = getattr(func, STEP_DECORATORS_ATTR)
        if deco in decorators:
            raise FlowDefinitionError(
                f"@{deco} is applied twice", file=file, line=line, step=func.__name__, fix=f"keep one @{deco}"
            )
        decorators[deco] = settings
        return func

    def decorator(*args: Any, **kwargs: Any) -> Any:
        file, line = _caller()
        if len(args) == 1 and not kwargs and callable(args[0]):  # used bare: @retry
            return apply(args[0], {}, file, line)
        if args:
            raise FlowDefinitionError(
                f"@{deco} takes keyword arguments only, got positional {args!r}",
                file=file,
                line=line,
                fix=f"write @{deco}({', '.join(a + '=...' for a in allowed)})",
            )
        _check_args(deco, allowed, kwargs, file, line)
        return lambda func: apply(func, kwargs, file, line)

    decorator.__name__ = deco
    decorator.__qualname__ = deco
    decorator.__doc__ = f"@{deco}({', '.join(allowed)}): recorded on the step; see the docs for its meaning."
    return decorator


retry = _make_step_decorator("retry")
catch = _make_step_decorator("catch")
timeout = _make_step_decorator("timeout")
resources = _make_step_decorator("resources")
batch = _make_step_decorator("batch")
environment = _make_step_decorator("environment")
kubernetes = _make_step_decorator("kubernetes")
foreach = _make_step_decorator("foreach")

retry.__doc__ = (
    "@retry(times=3, minutes_between_retries=2): re-run a failed step; Step Functions waits the delay, "
    "a local run waits only when minutes_between_retries is given (as Metaflow does)."
)
catch.__doc__ = "@catch(var=None): on the last failed attempt store the exception in `var` and let the flow go on."
timeout.__doc__ = "@timeout(seconds=, minutes=, hours=): kill the step after this long; counts as a failure (retried if @retry)."
resources.__doc__ = "@resources(cpu=, memory=MiB, gpu=): what the step needs; Batch vCPU/memory/GPU on AWS."
batch.__doc__ = "@batch(image=, queue=, cpu=, memory=, gpu=): AWS Batch settings for the step."
environment.__doc__ = "@environment(vars={...}): environment variables set while the step runs."
kubernetes.__doc__ = (
    "@kubernetes(cpu=, memory=MiB, gpu=, image=): Metaflow's decorator, accepted as is: the step runs as an "
    "AWS Batch job sized like @resources (and with @batch's image); pod-only arguments have no effect."
)
foreach.__doc__ = (
    "@foreach(mode='auto'|'inline'|'distributed', max_concurrency=0): how a foreach split runs on Step Functions "
    "(inline Map or Distributed Map); 0 means no limit."
)

SCHEDULE_PERIODS = {"hourly": "0 * * * ? *", "daily": "0 0 * * ? *", "weekly": "0 0 ? * SUN *"}


def _validate_cron(expr: str) -> str:
    fields = expr.split()
    if len(fields) != 6:
        raise ValueError(
            f"cron {expr!r} has {len(fields)} fields; EventBridge cron has 6: "
            "minutes hours day-of-month month day-of-week year, e.g. '0 12 * * ? *'"
        )
    if fields[2] != "?" and fields[4] != "?":
        raise ValueError(f"cron {expr!r}: one of day-of-month or day-of-week must be '?' (EventBridge rule)")
    for field_text, (label, low, high, names) in zip(fields, CRON_FIELDS):
        for value in _cron_numbers(field_text, names):
            if not low <= value <= high:
                allowed = f"{low}-{high}" + (f" or {names[0]}-{names[-1]}" if names else "")
                raise ValueError(f"cron {expr!r}: {label} {value} is out of range; allowed: {allowed}")
    return expr


# EventBridge cron fields: (name, lowest, highest, names), per the EventBridge Scheduler
# "Cron expressions" reference (docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html).
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DAYS = ("SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT")
CRON_FIELDS = (
    ("minutes", 0, 59, ()),
    ("hours", 0, 23, ()),
    ("day-of-month", 1, 31, ()),
    ("month", 1, 12, _MONTHS),
    ("day-of-week", 1, 7, _DAYS),
    ("year", 1970, 2199, ()),
)


def _cron_numbers(text: str, names: Tuple[str, ...]) -> List[int]:
    """The numbers a cron field names (``*``, ``?``, ``L``, ``W``, ``#`` forms contribute what they hold)."""
    out: List[int] = []
    for part in text.split(","):
        base = part.partition("/")[0]
        for token in base.replace("#", "-").split("-"):
            token = token.strip().upper().rstrip("LW")
            if token.isdigit():
                out.append(int(token))
            elif token in names:
                out.append(names.index(token) + 1)
    return out


def schedule(
    cls: Any = None,
    *,
    cron: Optional[str] = None,
    hourly: bool = False,
    daily: bool = False,
    weekly: bool = False,
    timezone: Optional[str] = None,
    **unknown: Any,
) -> Any:
    """@schedule(cron='0 6 * * ? *', timezone='Europe/Paris') or @schedule(daily=True): run the deployed flow on a schedule."""
    file, line = _caller()
    if unknown:
        raise FlowDefinitionError(
            f"@schedule got unknown argument(s) {', '.join(sorted(unknown))}",
            file=file,
            line=line,
            fix="@schedule accepts only: cron, hourly, daily, weekly, timezone",
        )

    def apply(flow_cls: Any) -> Any:
        if not isinstance(flow_cls, type):
            raise FlowDefinitionError(
                "@schedule is a flow decorator", file=file, line=line, fix="put @schedule above `class ...(FlowSpec)`"
            )
        chosen = [p for p, on in (("hourly", hourly), ("daily", daily), ("weekly", weekly)) if on]
        if len(chosen) + (cron is not None) != 1:
            raise FlowDefinitionError(
                "@schedule needs exactly one of cron=..., hourly=True, daily=True, weekly=True",
                file=file,
                line=line,
            )
        try:
            expression = _validate_cron(cron) if cron is not None else SCHEDULE_PERIODS[chosen[0]]
            if timezone is not None:
                _check_timezone(timezone)
        except ValueError as exc:
            raise FlowDefinitionError(str(exc), file=file, line=line) from None
        decorators = dict(getattr(flow_cls, FLOW_DECORATORS_ATTR, {}))
        decorators["schedule"] = {"cron": expression, "timezone": timezone or "UTC"}
        setattr(flow_cls, FLOW_DECORATORS_ATTR, decorators)
        return flow_cls

    return apply(cls) if cls is not None else apply


def _check_timezone(name: str) -> None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"unknown time zone {name!r}; use an IANA name such as 'Europe/Paris' or 'UTC'") from None
