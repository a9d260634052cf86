"""FlowSpec: the base class users subclass. Pure authoring: no I/O here.

At run time the runtime attaches *artifact sources* (objects with ``names()``,
``sha(name)`` and ``load(name)``) so that reading an artifact a parent set loads
it lazily, and ``merge_artifacts`` copies references (sha256), never data.

Every inherited artifact a step loads is remembered (``_sfn_loaded``): the step may
change it in place (``self.df["x"] = 0``, ``self.items.append(...)``), so the runtime
stores it again at the end of the task, as Metaflow does. Content addressing makes
that free for an unchanged value (same bytes, same sha, no new blob); artifacts the
step never read stay references and are never loaded.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Mapping, Optional, Protocol, Sequence, Tuple

from ..exceptions import FlowDefinitionError
from .decorators import _caller
from .parameters import RESERVED_ATTRIBUTES, Parameter
from .step import is_step


class ArtifactSource(Protocol):
    def names(self) -> Iterable[str]: ...

    def sha(self, name: str) -> str: ...

    def load(self, name: str) -> Any: ...


class ForeachFrame(Protocol):
    """One enclosing foreach of a task: its item index, the split's item count, and the item (loaded on use)."""

    index: int

    @property
    def num_splits(self) -> int: ...

    @property
    def value(self) -> Any: ...


class Transition:
    """What a step's ``self.next(...)`` asked for, recorded for the runtime to check."""

    __slots__ = ("steps", "foreach", "condition", "cases")

    def __init__(
        self,
        steps: Tuple[str, ...],
        foreach: Optional[str],
        condition: Optional[str],
        cases: Optional[Dict[str, str]],
    ) -> None:
        self.steps = steps
        self.foreach = foreach
        self.condition = condition
        self.cases = cases

    def __repr__(self) -> str:
        return f"Transition(steps={self.steps}, foreach={self.foreach}, condition={self.condition})"


class MergeError(Exception):
    """Raised by merge_artifacts when inputs disagree on an artifact's value."""


def _step_name(target: Any) -> str:
    name = getattr(target, "__name__", None)
    if name is None:
        raise TypeError(f"self.next() takes steps such as self.train, got {target!r}")
    return name


class FlowSpec:
    """Subclass this and write ``@step`` methods; ``MyFlow()`` at the bottom of the file gives the CLI."""

    def __init__(self, use_cli: bool = True) -> None:
        self._sfn_reset()
        if use_cli:
            from ..cli.flow_file import main_for_flow_class

            main_for_flow_class(type(self))

    # ----- runtime attachment (called by sfncompile.runtime) -------------------------
    def _sfn_reset(self) -> None:
        object.__setattr__(self, "_sfn_sources", [])  # list of (names set, source) searched in order
        object.__setattr__(self, "_sfn_transition", None)
        object.__setattr__(self, "_sfn_foreach", ())  # ForeachFrame per enclosing foreach, outermost first
        object.__setattr__(self, "_sfn_read_only", False)
        object.__setattr__(self, "_sfn_label", "")  # pathspec of the task, for messages
        object.__setattr__(self, "_sfn_loaded", {})  # inherited artifacts this task read: name -> value
        object.__setattr__(self, "_sfn_inputs", None)  # a join's inputs, to point at them when self.x is missing

    @classmethod
    def _sfn_instance(cls) -> "FlowSpec":
        """An instance for the runtime: no CLI, no user __init__."""
        obj = cls.__new__(cls)
        FlowSpec._sfn_reset(obj)
        return obj

    def _sfn_attach(self, source: ArtifactSource) -> None:
        """Make a source's artifacts readable (later attachments lose to earlier ones)."""
        self._sfn_sources.append(source)

    def _sfn_lookup(self, name: str) -> Tuple[Optional[ArtifactSource], bool]:
        for source in self._sfn_sources:
            if name in source.names():
                return source, True
        return None, False

    def _sfn_load(self, name: str) -> Any:
        source, found = self._sfn_lookup(name)
        if not found:
            where = f"{self._sfn_label}: " if self._sfn_label else ""
            hint = self._sfn_join_hint(name)
            if hint:
                raise AttributeError(f"{where}self.{name} is not set in this join step; {hint}")
            raise AttributeError(f"{where}no artifact '{name}': no earlier step set self.{name} on this path")
        value = source.load(name)  # type: ignore[union-attr]
        if not self._sfn_read_only:  # a join's input views are never stored again
            self._sfn_loaded[name] = value
        return value

    def _sfn_join_hint(self, name: str) -> str:
        """In a join, where ``name`` can be read from (its inputs set it), or "" if they did not."""
        inputs = self._sfn_inputs
        if inputs is None:
            return ""
        steps = [step for parent, step in zip(inputs, inputs._steps) if parent._sfn_lookup(name)[1]]
        if not steps:
            return ""
        if len(set(inputs._steps)) == 1 and len(inputs) > 1:  # a foreach join: one input per item
            read = f"`[inp.{name} for inp in inputs]`"
        else:
            read = f"`inputs.{steps[0]}.{name}`"
        return f"in a join, read {read} or call `self.merge_artifacts(inputs)` first"

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: the artifact may live in a parent task.
        if name.startswith("_"):
            raise AttributeError(name)
        return self._sfn_load(name)

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, "_sfn_read_only", False) and not name.startswith("_"):
            raise AttributeError(f"inputs are read-only: cannot set '{name}' on a parent step's view")
        if name in RESERVED_ATTRIBUTES:
            raise AttributeError(f"'{name}' is reserved by sfncompile; choose another artifact name")
        if is_step(getattr(type(self), name, None)):  # e.g. setattr(self, "train", ...): check sees only self.x =
            file, line = _caller()
            raise AttributeError(
                f"{file}:{line}: self.{name} is step '{name}', so an artifact of that name could never be read back; "
                f"store it under another name, e.g. self.{name}_value"
            )
        object.__setattr__(self, name, value)

    def __reduce_ex__(self, protocol: Any) -> Any:
        # A flow holds the run's stores (open connections): storing it, or one of its steps
        # (``self.f = inputs.a.train``), as an artifact would drag them in. Say what to store instead.
        raise TypeError(
            f"the flow object {type(self).__name__} (or one of its steps) cannot be stored as an artifact; "
            "store plain values read from it instead"
        )

    # ----- what steps call ---------------------------------------------------------------
    def next(self, *steps: Any, foreach: Optional[str] = None, condition: Optional[str] = None) -> None:
        """Say which step(s) run next: one step, several (a branch), foreach=, or a {case: step} switch."""
        if self._sfn_transition is not None:
            raise RuntimeError("self.next() was called twice in one step; call it once, as the last statement")
        cases = None
        if len(steps) == 1 and isinstance(steps[0], dict):
            if condition is None:
                raise TypeError("a switch needs condition='attribute': self.next({...}, condition='attr')")
            cases = {str(k): _step_name(v) for k, v in steps[0].items()}
            names: Tuple[str, ...] = tuple(cases.values())
        else:
            names = tuple(_step_name(s) for s in steps)
        object.__setattr__(self, "_sfn_transition", Transition(names, foreach, condition, cases))

    @property
    def input(self) -> Any:
        """The item of the innermost foreach this task works on."""
        if not self._sfn_foreach:
            raise AttributeError("self.input exists only inside a foreach")
        return self._sfn_foreach[-1].value

    @property
    def index(self) -> Optional[int]:
        """The index of the innermost foreach item this task works on (None outside a foreach)."""
        return self._sfn_foreach[-1].index if self._sfn_foreach else None

    def foreach_stack(self) -> List[Tuple[int, int, Any]]:
        """Metaflow's frames: (index, num_splits, item) for every enclosing foreach, outermost first."""
        return [(frame.index, frame.num_splits, frame.value) for frame in self._sfn_foreach]

    def merge_artifacts(
        self,
        inputs: "Inputs",
        exclude: Sequence[str] = (),
        include: Sequence[str] = (),
    ) -> None:
        """Carry over artifacts of the join's inputs: those all inputs agree on (by content hash).

        Artifacts already set in this step are kept. A disagreement on an artifact that
        is neither excluded nor set here is an error naming the artifact.
        """
        if include and exclude:
            raise ValueError("merge_artifacts takes include= or exclude=, not both")
        skip = set(exclude)
        wanted = set(include)
        seen: Dict[str, Tuple[str, Any]] = {}
        conflicts: Dict[str, List[str]] = {}
        for parent in inputs:
            for source in parent._sfn_sources:
                for name in source.names():
                    if name.startswith("_") or name in skip or (wanted and name not in wanted):
                        continue
                    if name in self.__dict__:
                        continue
                    sha = source.sha(name)
                    if name in seen and seen[name][0] != sha:
                        conflicts.setdefault(name, []).append(parent._sfn_label)
                    seen.setdefault(name, (sha, source))
        missing = sorted(wanted - set(seen) - set(self.__dict__))
        if missing:
            raise MergeError(f"merge_artifacts(include=...): no input has artifact(s) {', '.join(missing)}")
        if conflicts:
            names = ", ".join(sorted(conflicts))
            raise MergeError(
                f"inputs disagree on artifact(s) {names}; set them in the join step, "
                f"or pass merge_artifacts(inputs, exclude=[{', '.join(repr(n) for n in sorted(conflicts))}])"
            )
        merged = {name: source for name, (sha, source) in seen.items()}
        self._sfn_sources.insert(0, _Picked(merged))


class _Picked:
    """A source exposing chosen names from other sources (what merge_artifacts attaches)."""

    def __init__(self, picked: Mapping[str, ArtifactSource]) -> None:
        self._picked = dict(picked)

    def names(self) -> Iterable[str]:
        return self._picked.keys()

    def sha(self, name: str) -> str:
        return self._picked[name].sha(name)

    def load(self, name: str) -> Any:
        return self._picked[name].load(name)


class Inputs:
    """A join's parents: iterable, indexable, and ``inputs.stepname`` for static branches."""

    def __init__(self, parents: Sequence[FlowSpec], steps: Sequence[str]) -> None:
        self._parents = list(parents)
        self._steps = list(steps)

    def __iter__(self) -> Iterator[FlowSpec]:
        return iter(self._parents)

    def __len__(self) -> int:
        return len(self._parents)

    def __getitem__(self, index: int) -> FlowSpec:
        return self._parents[index]

    def __getattr__(self, name: str) -> FlowSpec:
        if name.startswith("_"):
            raise AttributeError(name)
        for parent, step_name in zip(self._parents, self._steps):
            if step_name == name:
                return parent
        raise AttributeError(f"this join has no input from step '{name}'; inputs come from {sorted(set(self._steps))}")


def parameters_of(flow_cls: type) -> Dict[str, Tuple[str, Parameter]]:
    """Declared parameters by parameter name -> (class attribute, Parameter), in declaration order."""
    found: Dict[str, Tuple[str, Parameter]] = {}
    for klass in reversed(flow_cls.__mro__):
        for attr, value in vars(klass).items():
            if isinstance(value, Parameter):
                found[value.name] = (attr, value)
    return found


def check_flow_class(flow_cls: Any, file: str = "", line: int = 0) -> None:
    if not (isinstance(flow_cls, type) and issubclass(flow_cls, FlowSpec)):
        raise FlowDefinitionError(f"{flow_cls!r} is not a FlowSpec subclass", file=file, line=line)
