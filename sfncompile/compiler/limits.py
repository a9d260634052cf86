"""Step Functions limits the compiler checks itself, and a verification of its own output.

* An execution fails at 25,000 history events, and an inline Map's iterations all
  write into it: :func:`iteration_events` estimates one iteration (worst case:
  every ``@retry`` used; a loop counted once) so ``auto`` foreaches choose how wide
  they may run inline, and forced inline ones get a warning.
* A definition is at most 1 MiB (compact JSON, UTF-8): ``size.py``.
* :func:`verify_definition` re-reads the emitted JSON for what ASL forbids and
  validators do not always catch: duplicate or long state names, ``States.ALL`` not
  alone and last, an inline Map with an item reader, dangling transitions.
"""
from __future__ import annotations

from typing import Any, Iterator, List, Mapping, Set, Tuple

from ..exceptions import CompileError
from .intrinsics import BATCH_SUBMIT_SYNC
from .names import MAX_NAME_LENGTH
from .result import CompileWarning
from .settings import DeploySettings

# History events per state (entered + exited, plus the task's scheduled/started/...).
_ENTER_EXIT = 2
_TASK_ATTEMPT = 4  # TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded/Failed
_SERVICE_CALL = 3  # TaskScheduled, TaskStarted, TaskSucceeded
_CONTAINER = 4  # entered, started, succeeded, exited
_MAP_ITERATION = 2  # MapIterationStarted, MapIterationSucceeded
_MAP_RUN = 6  # a Distributed Map: its children have their own histories


def _successors(state: Mapping[str, Any]) -> List[str]:
    out = [state["Next"]] if "Next" in state else []
    out += [rule["Next"] for rule in state.get("Choices", [])]
    if "Default" in state:
        out.append(state["Default"])
    return out


def _reachable(start_at: str, states: Mapping[str, Any]) -> List[str]:
    """States reachable without an error (Catch targets run at most once, so they do not count)."""
    seen: List[str] = []
    todo = [start_at]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.append(name)
        todo.extend(_successors(states[name]))
    return seen


def _state_events(state: Mapping[str, Any], inline_max_items: Mapping[str, int], name: str) -> int:
    kind = state["Type"]
    if kind == "Task":
        if state["Resource"] != BATCH_SUBMIT_SYNC:
            return _ENTER_EXIT + _SERVICE_CALL
        user_retries = sum(r["MaxAttempts"] for r in state.get("Retry", [])[1:])
        return _ENTER_EXIT + _TASK_ATTEMPT * (1 + user_retries)
    if kind == "Parallel":
        return _CONTAINER + sum(
            iteration_events(b["StartAt"], b["States"], inline_max_items) - _MAP_ITERATION for b in state["Branches"]
        )
    if kind == "Map":
        processor = state["ItemProcessor"]
        if processor["ProcessorConfig"]["Mode"] == "DISTRIBUTED":
            return _MAP_RUN
        per_item = iteration_events(processor["StartAt"], processor["States"], inline_max_items)
        return _CONTAINER + inline_max_items[name] * per_item
    return _ENTER_EXIT


def iteration_events(start_at: str, states: Mapping[str, Any], inline_max_items: Mapping[str, int]) -> int:
    """Worst-case history events of one Map iteration whose states are ``states``."""
    return _MAP_ITERATION + sum(
        _state_events(states[name], inline_max_items, name) for name in _reachable(start_at, states)
    )


def inline_threshold(per_item: int, settings: DeploySettings) -> int:
    """Most items an ``auto`` foreach runs inline: the configured width, less if history is tight."""
    budget = int(settings.history_event_limit * settings.inline_history_share)
    return max(1, min(settings.inline_max_items, budget // max(per_item, 1)))


def warn_inline_history(
    step: str, per_item: int, items: int, settings: DeploySettings, warnings: List[CompileWarning]
) -> None:
    events = per_item * items
    if events > settings.history_event_limit:
        warnings.append(
            CompileWarning(
                f"this inline foreach could write {events:,} history events ({per_item} per item x up to "
                f"{items:,} items); an execution fails at {settings.history_event_limit:,}",
                step=step,
                fix="use @foreach(mode='distributed') (each item gets its own history) or mode='auto'",
            )
        )


# -- verification of the emitted definition ------------------------------------------


def _containers(definition: Mapping[str, Any], where: str = "") -> Iterator[Tuple[str, Mapping[str, Any]]]:
    """(description, container) for the top level and every branch / iteration, recursively."""
    yield where or "the state machine", definition
    for name, state in definition["States"].items():
        for i, branch in enumerate(state.get("Branches", [])):
            yield from _containers(branch, f"branch {i} of '{name}'")
        if "ItemProcessor" in state:
            yield from _containers(state["ItemProcessor"], f"the iteration of '{name}'")


def _bug(message: str) -> CompileError:
    return CompileError(message, fix="this is a compiler bug: please report it with the flow file")


def _check_error_lists(name: str, field: str, entries: List[Mapping[str, Any]]) -> None:
    for i, entry in enumerate(entries):
        errors = entry["ErrorEquals"]
        if "States.ALL" in errors and (len(errors) > 1 or i != len(entries) - 1):
            raise _bug(f"state '{name}': States.ALL must be alone in the last {field} entry")


def _check_map(name: str, state: Mapping[str, Any]) -> None:
    mode = state["ItemProcessor"].get("ProcessorConfig", {}).get("Mode", "INLINE")
    if mode == "INLINE" and "ItemReader" in state:
        raise _bug(f"Map '{name}' is inline but has an ItemReader (only a Distributed Map reads items from S3)")
    if mode == "DISTRIBUTED" and "ItemReader" not in state and "ItemsPath" not in state:
        raise _bug(f"Distributed Map '{name}' has neither an ItemReader nor ItemsPath")


def verify_definition(definition: Mapping[str, Any]) -> None:
    """Raise CompileError when the definition breaks a rule of ASL (names, errors, maps, links)."""
    seen: Set[str] = set()
    for where, container in _containers(definition):
        states = container["States"]
        if container["StartAt"] not in states:
            raise _bug(f"{where} starts at '{container['StartAt']}', which is not one of its states")
        for name, state in states.items():
            if len(name) > MAX_NAME_LENGTH:
                raise _bug(f"state name '{name}' has {len(name)} characters; Step Functions allows {MAX_NAME_LENGTH}")
            if name in seen:
                raise _bug(f"state name '{name}' is used twice; names must be unique in the whole state machine")
            seen.add(name)
            for target in _successors(state) + [c["Next"] for c in state.get("Catch", [])]:
                if target not in states:
                    raise _bug(f"state '{name}' in {where} goes to '{target}', which is not in the same container")
            for field in ("Retry", "Catch"):
                _check_error_lists(name, field, state.get(field, []))
            if state["Type"] == "Map":
                _check_map(name, state)

