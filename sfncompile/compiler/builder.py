"""Walk the graph IR and emit states, one ASL container at a time.

An ASL *container* is a list of states that can only jump among themselves: the top
level, each branch of a Parallel, each iteration of a Map. A branch split's
successors each start a Parallel branch and a foreach's successor starts a Map
iteration; the container ends where control reaches the split's join (a Task then has
``End: true``; a Choice goes to a ``Succeed``). Loops and switches stay inside one
container (the graph IR guarantees it; :meth:`Builder.members` checks it).

State payload: ``{"r": "sfn-<execution>", "q", "d", "t": shared SubmitJob values, "c": {frame values},
"ctl": {control}}``.
When an edge changes frame values (entering a loop: ``l_<target>`` = 0; a switch
case looping back: ``l_<target>`` + 1) a Pass on that edge rewrites ``$.c``
(``<step> first visit`` / ``<step> next visit``); entering a foreach, the Map's
ItemSelector does it; at the start, the ``set up run`` Pass.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from ..exceptions import CompileError
from ..graph.ir import BRANCH, END, FOREACH, LINEAR, SWITCH, FlowGraph, StepNode, forward_successors
from . import control, failures, foreach
from . import intrinsics as asl
from .context import NEXT, FrameUpdate, changes_ctx, ctx_template, frame_updates
from .limits import inline_threshold, iteration_events, warn_inline_history
from .names import NameRegistry
from .result import CompileWarning
from .settings import DeploySettings
from .tasks import batch_task, shared_job_values

SET_UP_RUN = "set up run"
UNKNOWN_CASE = "sfncompile.UnknownSwitchCase"
FOREACH_TOO_WIDE = "sfncompile.ForeachTooWide"

TOP, BRANCH_BODY, ITEM_BODY = "top", "branch", "item"


@dataclass
class Container:
    """States being filled for one ASL container."""

    kind: str  # TOP | BRANCH_BODY | ITEM_BODY
    stop: Optional[str]  # the join step that ends this container (None at top level)
    label: str  # the entry step, for helper names ("" at top level)
    tag: str  # one letter per enclosing "auto" foreach: which copy ('i'nline / 'd'istributed)
    distributed: bool = False  # a Distributed Map's iteration (a child execution)
    states: Dict[str, Any] = field(default_factory=dict)
    tail: Dict[str, Any] = field(default_factory=dict)  # exits (Succeed, a distributed item's result)

    @property
    def tag_text(self) -> str:
        """Name suffix telling copies of the same step apart (only copies inside a Distributed Map need it)."""
        return f" ({self.tag})" if "d" in self.tag else ""

    def finish(self) -> Dict[str, Any]:
        self.states.update(self.tail)
        return self.states


class Builder:
    """One compilation: names, warnings and job definitions accumulate here."""

    def __init__(self, graph: FlowGraph, settings: DeploySettings) -> None:
        self.graph = graph
        self.settings = settings
        self.names = NameRegistry()
        self.warnings: List[CompileWarning] = []
        self.job_definitions: Dict[str, Dict[str, str]] = {}
        self.inline_max_items: Dict[str, int] = {}  # inline Map state -> most items it may run

    # -- entry point ---------------------------------------------------------------

    def build(self) -> Dict[str, Any]:
        top = Container(TOP, stop=None, label="", tag="")
        start = self.graph.start
        setup = self.names.claim(SET_UP_RUN)
        top.states[setup] = {
            "Type": "Pass",
            "Parameters": {
                f"{asl.RUN_KEY}.$": asl.format_call("sfn-{}", ["$$.Execution.Name"]),
                **shared_job_values(),
                asl.CTX_KEY: ctx_template(frame_updates(self.graph, None, start)),
            },
            "Next": self.step_state(start, top),
        }
        self.fill(top, start)
        return {
            "Comment": f"{self.graph.name}: compiled by sfncompile from {os.path.basename(self.graph.file)}",
            "StartAt": setup,
            "States": top.states,
        }

    # -- names -----------------------------------------------------------------------

    def name(self, c: Container, stem: str, suffix: str = "") -> str:
        return self.names.get(("state", stem, suffix, c.tag), stem, f"{suffix}{c.tag_text}")

    def step_state(self, step: StepNode, c: Container) -> str:
        return self.name(c, step.name)

    def _container_name(self, c: Container, what: str) -> str:
        stem = what if c.kind == TOP else f"{what} in {c.label}"
        return self.names.get(("container", what, c.label, c.tag), stem, c.tag_text)

    # -- containers ------------------------------------------------------------------

    def members(self, entry: StepNode, stop: Optional[str]) -> List[str]:
        """Steps of the container entered at ``entry`` (splits' bodies belong to nested containers)."""
        seen: List[str] = []
        todo = [entry.name]
        while todo:
            name = todo.pop(0)
            if name in seen or name == stop:
                continue
            seen.append(name)
            node = self.graph[name]
            todo.extend([node.join] if node.is_split else node.successors)
        for name in seen:
            node = self.graph[name]
            if node.is_join and node.matching_split not in seen:
                via = next(m for m in seen if name in self.graph[m].successors)
                raise CompileError(
                    f"step '{name}' joins the split in '{node.matching_split}' but is also reached from "
                    f"'{via}', outside that split; Step Functions cannot express this shape",
                    fix=f"reach '{name}' only from inside the branches or foreach of '{node.matching_split}'",
                )
        return seen

    def fill(self, c: Container, entry: StepNode) -> Dict[str, Any]:
        members = set(self.members(entry, c.stop))
        for node in self.graph:
            if node.name in members:
                self.emit_step(c, node)
        return c.finish()

    def exit(self, c: Container, *, for_choice: bool) -> Optional[str]:
        """Where control goes when it reaches the container's join: End, or an exit state."""
        if c.distributed:
            name = self._container_name(c, "item result")
            c.tail.setdefault(name, foreach.child_result())
            return name
        if not for_choice:
            return None
        name = self._container_name(c, "done")
        c.tail.setdefault(name, {"Type": "Succeed"})
        return name

    # -- steps -----------------------------------------------------------------------

    def emit_step(self, c: Container, step: StepNode) -> None:
        name = self.step_state(step, c)
        c.states[name] = None  # reserve the position: the step's helpers follow it
        task = batch_task(
            step, self.settings, is_start=step.name == "start", warnings=self.warnings
        )
        image = (step.decorator("batch") or {}).get("image")
        if image:
            self.job_definitions[step.name] = {"placeholder": asl.job_definition_placeholder(step.name), "image": image}
        c.states[name] = link(task, self.after(c, step))

    def after(self, c: Container, step: StepNode) -> Optional[str]:
        if step.transition == END:
            return None
        if step.transition == LINEAR:
            return self.edge(c, step, self.graph[step.successors[0]])
        if step.transition == SWITCH:
            return self.switch(c, step)
        if step.transition == BRANCH:
            return self.parallel(c, step)
        if step.transition == FOREACH:
            return self.foreach(c, step)
        raise CompileError(f"step '{step.name}': unknown transition {step.transition!r}", fix="report this as a bug")

    def choice_edge(self, c: Container, src: StepNode, dst: StepNode) -> str:
        """An edge out of a Choice state: always a named state (a Choice rule cannot end)."""
        target = self.edge(c, src, dst, for_choice=True)
        assert target is not None, "exit(for_choice=True) always names a state"
        return target

    def edge(self, c: Container, src: StepNode, dst: StepNode, *, for_choice: bool = False) -> Optional[str]:
        if dst.name == c.stop:
            return self.exit(c, for_choice=for_choice)
        return self.enter(c, dst, frame_updates(self.graph, src, dst))

    def enter(self, c: Container, dst: StepNode, updates: Tuple[FrameUpdate, ...]) -> str:
        """The state that starts ``dst``: its Task, or a Pass that first rewrites ``$.c``."""
        target = self.step_state(dst, c)
        if not changes_ctx(updates):
            return target
        template = ctx_template(updates)
        suffix = " next visit" if any(u.op == NEXT for u in updates) else " first visit"
        key = ("ctx", dst.name, json.dumps(template, sort_keys=True), c.tag)
        name = self.names.get(key, dst.name, f"{suffix}{c.tag_text}")
        c.states.setdefault(name, {"Type": "Pass", "Parameters": template, "ResultPath": asl.CTX, "Next": target})
        return name

    def after_join(self, c: Container, split: StepNode) -> str:
        """The state after a Parallel or Map: the join, entered as from any of its inputs."""
        join = self.graph[split.join]
        pred = next(p for p in join.predecessors if join.name in forward_successors(self.graph[p]))
        return self.enter(c, join, frame_updates(self.graph, self.graph[pred], join))

    # -- switch ----------------------------------------------------------------------

    def switch(self, c: Container, step: StepNode) -> str:
        read, route, unknown = (self.name(c, step.name, s) for s in (" choice", " switch", " unknown case"))
        for name in (read, route, unknown):
            c.states[name] = None
        c.states[read] = link(control.read_choice(step), route)
        targets = [self.choice_edge(c, step, self.graph[case.target]) for case in step.switch_cases]
        c.states[route] = control.switch_choice(step, targets, unknown)
        cases = ", ".join(case.value for case in step.switch_cases)
        c.states[unknown] = failures.detected_failure(
            UNKNOWN_CASE,
            f"step {step.name} chose {{}}, which is none of its cases ({cases})",
            [control.ctl_path(control.CHOICE)],
        )
        return read

    # -- branch ----------------------------------------------------------------------

    def parallel(self, c: Container, step: StepNode) -> str:
        name = self.name(c, step.name, " branches")
        c.states[name] = None
        branches = []
        for succ in step.successors:
            body = Container(BRANCH_BODY, stop=step.matching_join, label=succ, tag=c.tag)
            start_at = self.edge(body, step, self.graph[succ])
            branches.append({"StartAt": start_at, "States": self.fill(body, self.graph[succ])})
        state = {"Type": "Parallel", "Branches": branches, "ResultPath": None}
        c.states[name] = link(state, self.after_join(c, step))
        return name

    # -- foreach ---------------------------------------------------------------------

    def foreach(self, c: Container, step: StepNode) -> str:
        mode = foreach.mode_of(step, self.settings.default_foreach_mode)
        if mode == "distributed":
            return self.distributed_map(c, step, c.tag)
        read = self.name(c, step.name, " cardinality")
        c.states[read] = None
        if mode == "inline":
            check = self.name(c, step.name, " width check")
            too_wide = self.name(c, step.name, " too wide")
            c.states[check] = None
            hard_max = self.settings.inline_hard_max_items
            items, _ = self.inline_map(c, step, c.tag, limit=hard_max)
            c.states[check] = foreach.width_choice(
                empty=self.after_join(c, step), inline=items, inline_max=hard_max, wider=too_wide, wider_is_error=True
            )
            c.states[too_wide] = failures.detected_failure(
                FOREACH_TOO_WIDE,
                f"step {step.name} fans out to {{}} items; an inline foreach takes at most {hard_max}: "
                "use @foreach with mode distributed or auto",
                [control.ctl_path(control.CARDINALITY)],
            )
            c.states[read] = link(control.read_cardinality(step), check)
            return read
        choose = self.name(c, step.name, " mode")
        c.states[choose] = None
        items, threshold = self.inline_map(c, step, c.tag + "i", limit=None)
        wide = self.distributed_map(c, step, c.tag + "d")
        c.states[choose] = foreach.width_choice(
            empty=self.after_join(c, step), inline=items, inline_max=threshold, wider=wide
        )
        c.states[read] = link(control.read_cardinality(step), choose)
        return read

    def body(self, step: StepNode, tag: str, *, distributed: bool) -> Tuple[str, Dict[str, Any]]:
        first = self.graph[step.successors[0]]
        body = Container(ITEM_BODY, stop=step.matching_join, label=first.name, tag=tag, distributed=distributed)
        start_at = self.step_state(first, body)
        return start_at, self.fill(body, first)

    def _selector(self, step: StepNode) -> Dict[str, Any]:
        return foreach.item_selector(list(frame_updates(self.graph, step, self.graph[step.successors[0]])))

    def inline_map(self, c: Container, step: StepNode, tag: str, *, limit: Optional[int]) -> Tuple[str, int]:
        """Items Pass + inline Map: (the Pass, most items). ``limit`` None: choose from the history budget."""
        items = self.name(c, step.name, " items")
        name = self.name(c, step.name, " inline")
        c.states[items] = None
        c.states[name] = None
        start_at, states = self.body(step, tag, distributed=False)
        per_item = iteration_events(start_at, states, self.inline_max_items)
        if limit is None:
            limit = inline_threshold(per_item, self.settings)
        else:
            warn_inline_history(step.name, per_item, limit, self.settings, self.warnings)
        self.inline_max_items[name] = limit
        c.states[items] = foreach.items_pass(name)
        state = foreach.inline_map(start_at, states, self._selector(step), foreach.max_concurrency_of(step))
        c.states[name] = link(state, self.after_join(c, step))
        return items, limit

    def distributed_map(self, c: Container, step: StepNode, tag: str) -> str:
        name = self.name(c, step.name, " distributed")
        c.states[name] = None
        start_at, states = self.body(step, tag, distributed=True)
        state = foreach.distributed_map(step, start_at, states, self._selector(step), foreach.max_concurrency_of(step))
        c.states[name] = link(state, self.after_join(c, step))
        return name


def link(state: Dict[str, Any], target: Optional[str]) -> Dict[str, Any]:
    """Finish ``state`` with ``Next: target``, or ``End: true`` when there is none."""
    if target is None:
        state["End"] = True
    else:
        state["Next"] = target
    return state
