"""A small interpreter of the ASL the compiler emits (JSONPath mode), for fast tests.

It runs a definition the way Step Functions would - payload templates, intrinsic
functions, ResultPath/ResultSelector, Retry and Catch, Choice rules, Parallel,
inline and Distributed Maps (one iteration after another) - and plays AWS Batch,
DynamoDB and S3 from a :class:`scripted.Script`. It covers only what the compiler
uses and raises ``Unsupported`` for anything else, so the compiler cannot quietly
start emitting something these tests do not understand.
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Tuple

from sfncompile.compiler import jobparams

from .scripted import Script

BATCH = "arn:aws:states:::batch:submitJob.sync"
GET_ITEM = "arn:aws:states:::dynamodb:getItem"
UPDATE_ITEM = "arn:aws:states:::dynamodb:updateItem"


class Unsupported(AssertionError):
    pass


class Failure(Exception):
    def __init__(self, error: str, cause: str = "") -> None:
        super().__init__(error, cause)
        self.error = error
        self.cause = cause


@dataclass
class Job:
    step: str
    task: str
    attempt: int
    run: str
    command: Optional[List[str]]  # the ContainerOverrides command, when the state sets one
    request: Dict[str, Any]


# -- intrinsic functions ------------------------------------------------------------------

_TOKEN = re.compile(r"\s*(?:(?P<fn>States\.\w+)\(|(?P<str>'(?:\\.|[^'\\])*')|(?P<num>-?\d+(?:\.\d+)?)"
                    r"|(?P<path>\$\$?[^,)\s]*)|(?P<close>\))|(?P<comma>,))")


def _tokens(text: str) -> List[Tuple[str, str]]:
    out, pos = [], 0
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise Unsupported(f"cannot parse intrinsic {text!r} at {pos}")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


def _unescape(raw: str) -> str:
    return re.sub(r"\\(.)", r"\1", raw[1:-1])


class _Parser:
    def __init__(self, text: str, resolve) -> None:
        self.tokens = _tokens(text)
        self.i = 0
        self.resolve = resolve

    def parse(self) -> Any:
        value = self.value()
        if self.i != len(self.tokens):
            raise Unsupported(f"trailing tokens in intrinsic: {self.tokens[self.i:]}")
        return value

    def value(self) -> Any:
        kind, text = self.tokens[self.i]
        self.i += 1
        if kind == "fn":
            args = []
            while self.tokens[self.i][0] != "close":
                args.append(self.value() if self.tokens[self.i][0] != "str" else self._string())
                if self.tokens[self.i][0] == "comma":
                    self.i += 1
            self.i += 1
            return _call(text, args)
        if kind == "num":
            return float(text) if "." in text else int(text)
        if kind == "path":
            return self.resolve(text)
        raise Unsupported(f"unexpected token {text!r}")

    def _string(self) -> "_Literal":
        _, text = self.tokens[self.i]
        self.i += 1
        return _Literal(text)


class _Literal(str):
    """A string literal, raw (Format needs to see its escapes)."""

    @property
    def text(self) -> str:
        return _unescape(self)


def _plain(value: Any) -> Any:
    return value.text if isinstance(value, _Literal) else value


def _format(template: _Literal, args: List[Any]) -> str:
    raw, out, it = str(template)[1:-1], [], iter(args)
    i = 0
    while i < len(raw):
        if raw[i] == "\\":
            out.append(raw[i + 1])
            i += 2
        elif raw.startswith("{}", i):
            value = _plain(next(it))
            out.append(str(value) if not isinstance(value, (dict, list)) else json.dumps(value))
            i += 2
        else:
            out.append(raw[i])
            i += 1
    return "".join(out)


def _call(name: str, args: List[Any]) -> Any:
    if name == "States.Format":
        return _format(args[0], args[1:])
    args = [_plain(a) for a in args]
    if name == "States.MathAdd":
        return int(args[0]) + int(args[1])
    if name == "States.ArrayRange":
        return list(range(args[0], args[1] + 1, args[2]))
    if name == "States.StringToJson":
        return json.loads(args[0])
    if name == "States.JsonToString":
        return json.dumps(args[0], separators=(",", ":"))
    if name == "States.Array":
        return list(args)
    raise Unsupported(f"intrinsic {name}")


# -- paths and templates ------------------------------------------------------------------


def _get(doc: Any, path: str) -> Any:
    if path == "$":
        return doc
    if not path.startswith("$."):
        raise Unsupported(f"path {path!r}")
    for part in path[2:].split("."):
        if not isinstance(doc, dict) or part not in doc:
            raise Failure("States.Runtime", f"path {path} not found")
        doc = doc[part]
    return doc


def _set(doc: Any, path: Optional[str], value: Any) -> Any:
    if path is None:
        return doc
    if path == "$":
        return value
    out = json.loads(json.dumps(doc))
    node = out
    parts = path[2:].split(".")
    for part in parts[:-1]:
        node = node.setdefault(part, {})
    node[parts[-1]] = value
    return out


def execution_arn(name: str) -> str:
    """The ARN of the simulated execution ``name`` (of a machine named ``sim``)."""
    return f"arn:aws:states:us-east-1:123456789012:execution:sim:{name}"


class Simulator:
    """Run one execution of ``definition`` (placeholders already substituted)."""

    def __init__(self, definition: Mapping[str, Any], script: Script, execution: str = "exec-1",
                 input: Optional[Dict[str, Any]] = None) -> None:
        self.definition = definition
        self.script = script
        # The context object's Execution: its Id is the execution's ARN
        # (https://docs.aws.amazon.com/step-functions/latest/dg/input-output-contextobject.html).
        self.execution = {"Id": execution_arn(execution), "Name": execution,
                          "Input": input if input is not None else {"parameters": {}}}
        self.jobs: List[Job] = []
        self.retry_waits: List[Tuple[str, float]] = []
        self.run_updates: List[Dict[str, Any]] = []
        self.manifests_read: List[str] = []

    def run(self) -> Tuple[str, Any]:
        try:
            return "SUCCEEDED", self._run_container(self.definition, self.execution["Input"], {})
        except Failure as failure:
            return "FAILED", failure

    # -- evaluation --

    def _eval(self, expr: str, doc: Any, context: Dict[str, Any]) -> Any:
        def resolve(path: str) -> Any:
            return _get(context, "$" + path[2:]) if path.startswith("$$") else _get(doc, path)

        if expr.startswith("States."):
            return _Parser(expr, resolve).parse()
        return resolve(expr)

    def _template(self, template: Any, doc: Any, context: Dict[str, Any]) -> Any:
        if isinstance(template, dict):
            out = {}
            for key, value in template.items():
                if key.endswith(".$"):
                    out[key[:-2]] = self._eval(value, doc, context)
                else:
                    out[key] = self._template(value, doc, context)
            return out
        if isinstance(template, list):
            return [self._template(v, doc, context) for v in template]
        return template

    def _context(self, outer: Dict[str, Any], **extra: Any) -> Dict[str, Any]:
        context = {"Execution": self.execution, "State": {"RetryCount": 0, "EnteredTime": "2024-01-01T00:00:00Z"}}
        if "Map" in outer:
            context["Map"] = outer["Map"]
        context.update(extra)
        return context

    def _state(self, name: str, state: Mapping[str, Any], doc: Any, outer: Dict[str, Any]):
        kind = state["Type"]
        known = {"Type", "Next", "End", "Comment"}
        if kind == "Pass":
            known |= {"Parameters", "Result", "ResultPath"}
            context = self._context(outer)
            if "Parameters" in state:
                result = self._template(state["Parameters"], doc, context)
            else:
                result = state.get("Result", doc)
            self._check_fields(name, state, known)
            return _set(doc, state.get("ResultPath", "$"), result), state.get("Next")
        if kind == "Choice":
            self._check_fields(name, state, known | {"Choices", "Default"})
            for rule in state["Choices"]:
                if self._rule(rule, doc):
                    return doc, rule["Next"]
            if "Default" not in state:
                raise Failure("States.NoChoiceMatched")
            return doc, state["Default"]
        if kind == "Succeed":
            return doc, None
        if kind == "Fail":
            self._check_fields(name, state, known | {"Error", "Cause", "CausePath"})
            cause = state.get("Cause", "")
            if "CausePath" in state:
                cause = self._eval(state["CausePath"], doc, self._context(outer))
            raise Failure(state["Error"], cause)
        if kind in ("Task", "Parallel", "Map"):
            return self._with_retry_and_catch(name, state, doc, outer), state.get("Next")
        raise Unsupported(f"state type {kind}")

    @staticmethod
    def _check_fields(name: str, state: Mapping[str, Any], known: set) -> None:
        unknown = set(state) - known
        if unknown:
            raise Unsupported(f"state {name!r}: fields {sorted(unknown)}")

    @staticmethod
    def _rule(rule: Mapping[str, Any], doc: Any) -> bool:
        value = _get(doc, rule["Variable"])
        for op, test in (("StringEquals", lambda a, b: a == b), ("NumericLessThan", lambda a, b: a < b),
                         ("NumericLessThanEquals", lambda a, b: a <= b),
                         ("NumericGreaterThan", lambda a, b: a > b)):
            if op in rule:
                return test(value, rule[op])
        raise Unsupported(f"choice rule {rule}")

    def _with_retry_and_catch(self, name: str, state: Mapping[str, Any], doc: Any, outer: Dict[str, Any]):
        """Run a Task/Parallel/Map with ASL's Retry (first matching retrier decides) and Catch."""
        retriers = state.get("Retry", [])
        used = [0] * len(retriers)
        retry_count = 0
        while True:
            try:
                result = self._execute(name, state, doc, outer, retry_count)
            except Failure as failure:
                i = next((i for i, r in enumerate(retriers) if _matches(r["ErrorEquals"], failure.error)), None)
                if i is not None and used[i] < retriers[i].get("MaxAttempts", 3):
                    retrier = retriers[i]
                    wait = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** used[i]
                    self.retry_waits.append((name, wait))
                    used[i] += 1
                    retry_count += 1
                    continue
                for catcher in state.get("Catch", []):
                    if _matches(catcher["ErrorEquals"], failure.error):
                        error = {"Error": failure.error, "Cause": failure.cause}
                        raise _Jump(_set(doc, catcher.get("ResultPath", "$"), error), catcher["Next"])
                raise
            if "ResultSelector" in state:
                result = self._template(state["ResultSelector"], result, self._context(outer))
            return _set(doc, state.get("ResultPath", "$"), result)

    def _execute(self, name: str, state: Mapping[str, Any], doc: Any, outer: Dict[str, Any], retry_count: int):
        kind = state["Type"]
        if kind == "Task":
            context = self._context(outer, State={"RetryCount": retry_count, "EnteredTime": "2024-01-01T00:00:00Z"})
            request = self._template(state["Parameters"], doc, context)
            return self._task(state["Resource"], request)
        if kind == "Parallel":
            return [self._run_container(branch, doc, outer) for branch in state["Branches"]]
        return self._map(name, state, doc, outer)

    def _run_container(self, container: Mapping[str, Any], doc: Any, outer: Dict[str, Any]) -> Any:
        name = container["StartAt"]
        while True:
            state = container["States"][name]
            try:
                doc, name = self._state(name, state, doc, outer)
            except _Jump as jump:
                doc, name = jump.doc, jump.next
            if name is None:
                return doc

    def _map(self, name: str, state: Mapping[str, Any], doc: Any, outer: Dict[str, Any]) -> Any:
        processor = state["ItemProcessor"]
        distributed = processor["ProcessorConfig"]["Mode"] == "DISTRIBUTED"
        if "ItemReader" in state:
            reader = state["ItemReader"]
            assert distributed and reader["ReaderConfig"] == {"InputType": "JSON"}
            key = self._template(reader["Parameters"], doc, self._context(outer))["Key"]
            self.manifests_read.append(key)
            parts = key.split("/")
            items = list(range(self.script.cardinality(parts[-3], parts[-2])))
        else:
            items = _get(doc, state["ItemsPath"])
        results = []
        for index, item in enumerate(items):
            context = self._context(outer, Map={"Item": {"Index": index, "Value": item}})
            iteration_input = self._template(state["ItemSelector"], doc, context)
            try:
                results.append(self._run_container(processor, iteration_input, {"Map": context["Map"]}))
            except Failure as failure:
                if distributed:
                    raise Failure("States.ExceedToleratedFailureThreshold", "a child execution failed")
                raise failure
        return results

    def _task(self, resource: str, request: Dict[str, Any]) -> Any:
        if resource == BATCH:
            # Batch: SubmitJob's parameters over the job definition's defaults, substituted
            # into the job definition's command: the words the task entrypoint reads.
            not_text = sorted(k for k, v in request["Parameters"].items() if not isinstance(v, str))
            if not_text:  # Batch takes string parameters only (SubmitJob's parameters: map of strings)
                raise Failure("Batch.ClientException", f"Invalid type for parameter parameters.{not_text[0]}")
            params = {**jobparams.JOB_PARAMETER_DEFAULTS, **request["Parameters"]}
            overrides = request.get("ContainerOverrides", {})
            words = jobparams.fill_command(params)
            option = dict(zip(words[3::2], words[4::2]))
            job = Job(words[2], option["--task-id"], int(option["--attempt"]), option["--run-id"],
                      overrides.get("Command"), request)
            self.jobs.append(job)
            if self.script.fails(job.step, job.task, job.attempt):
                raise Failure("States.TaskFailed", json.dumps({"JobName": job.step, "Status": "FAILED"}))
            return {"JobName": job.step, "Status": "SUCCEEDED"}
        if resource == GET_ITEM:
            _, step, task = request["Key"]["sk"]["S"].split("#")
            item = {"pk": request["Key"]["pk"], "sk": request["Key"]["sk"], "status": {"S": "SUCCEEDED"}}
            node = self.script.graph[step]
            if node.switch_cases:
                item["choice"] = {"S": self.script.choice(step, task)}
            if node.foreach_var:
                item["cardinality"] = {"N": str(self.script.cardinality(step, task))}
            return {"Item": item}
        if resource == UPDATE_ITEM:
            self.run_updates.append(request)
            return {}
        raise Unsupported(f"resource {resource}")


class _Jump(Exception):
    """A Catch sends control to another state of the same container."""

    def __init__(self, doc: Any, next: str) -> None:
        super().__init__(next)
        self.doc = doc
        self.next = next


def _matches(error_equals: List[str], error: str) -> bool:
    if "States.ALL" in error_equals:
        return error != "States.Runtime"
    return error in error_equals
