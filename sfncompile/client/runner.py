"""``Runner``: run or resume a flow from a notebook or a script, in Metaflow's shape.

    from sfncompile import Runner
    result = Runner("flow.py", alpha=0.3).run()     # blocks; the run's output is shown
    result.run.data.best                              # the client's Run (also: result.data.best)
    with Runner("flow.py").resume(step="train") as resumed: ...

The flow runs in a child process (``sfncompile run flow.py --run-id-file ...``),
exactly as on the command line: module-level code of the flow file never runs in
the caller, and a crash of the flow cannot take a notebook kernel down.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from typing import IO, Any, Dict, Iterable, List, Mapping, Optional, TextIO

from ..exceptions import CommandError
from ..logs import get_logger

log = get_logger(__name__)

# Runner keyword arguments that are options of `sfncompile run` / `resume`, not flow parameters.
_OPTIONS = {"max_workers": "--max-workers", "max_num_splits": "--max-num-splits", "datastore": "--datastore",
            "flow": "--flow"}
_REPEATED = {"tags": "--tag", "decospecs": "--with"}
_RESUME_OPTIONS = {"origin_run_id": "--origin-run-id", "step": "--step"}


def cli_value(value: Any) -> str:
    """A Python value as the command line spells it (JSON for lists and dicts, true/false for bools)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value)
    return str(value)


def cli_arguments(kwargs: Mapping[str, Any], options: Mapping[str, str]) -> List[str]:
    """``{"alpha": 0.3, "tags": ["a"]}`` → ``["--tag", "a", "--alpha", "0.3"]`` (options, then parameters)."""
    args: List[str] = []
    for key, value in kwargs.items():
        if value is None:
            continue
        if key in _REPEATED:
            values: Iterable[Any] = [value] if isinstance(value, str) else value
            for item in values:
                args += [_REPEATED[key], str(item)]
        elif key in options:
            args += [options[key], cli_value(value)]
        else:
            args += [f"--{key}", cli_value(value)]
    return args


def _pump(source: IO[str], sink: Optional[TextIO], kept: List[str]) -> None:
    for line in iter(source.readline, ""):
        kept.append(line)
        if sink is not None:
            sink.write(line)
            sink.flush()
    source.close()


class ExecutingRun:
    """A finished run started by a Runner: ``.run`` (the client's Run), ``.status``
    (``"successful"`` / ``"failed"``), ``.returncode``, ``.stdout``, ``.stderr``.
    Any other attribute is the Run's, so ``result.data.x`` works."""

    def __init__(self, run: Any, returncode: int, stdout: str, stderr: str) -> None:
        self.run = run
        self.returncode = returncode
        self.stdout = stdout
        self.stderr = stderr

    @property
    def status(self) -> str:
        return "successful" if self.run.successful else "failed"

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(self.run, name)

    def __enter__(self) -> "ExecutingRun":
        return self

    def __exit__(self, *exc: Any) -> None:
        return None

    def __repr__(self) -> str:
        return f"ExecutingRun('{self.run.pathspec}', {self.status})"


class Runner:
    """Run a flow file as ``sfncompile run`` would. Keyword arguments are the flow's
    parameters, or run options (``tags``, ``max_workers``, ``max_num_splits``,
    ``datastore``, ``decospecs`` for ``--with``, ``flow`` for the class name); those
    given to ``run()``/``resume()`` add to (and override) the constructor's.

    ``show_output`` echoes the run's output while it runs; ``env`` adds environment
    variables; ``cwd`` is where the run starts. The run writes to the store the caller
    reads (the caller's ``SFNCOMPILE_ROOT`` / nearest ``.sfncompile``)."""

    def __init__(self, flow_file: str, show_output: bool = True, env: Optional[Mapping[str, str]] = None,
                 cwd: Optional[str] = None, **kwargs: Any) -> None:
        self.flow_file = os.path.abspath(flow_file)
        if not os.path.isfile(self.flow_file):
            raise CommandError(f"flow file {flow_file} does not exist", fix="pass the path of a flow file")
        self.show_output = show_output
        self.env = dict(env or {})
        self.cwd = cwd
        self.kwargs = kwargs
        self._tmp = tempfile.TemporaryDirectory(prefix="sfncompile-runner-")

    # -- public ------------------------------------------------------------------------
    def run(self, **kwargs: Any) -> ExecutingRun:
        """Run the flow to its end; the result holds the Run whether it succeeded or failed."""
        return self._execute("run", cli_arguments({**self.kwargs, **kwargs}, _OPTIONS))

    def resume(self, **kwargs: Any) -> ExecutingRun:
        """Resume the latest run (or ``origin_run_id=``), from the failure or from ``step=``."""
        merged = {k: v for k, v in {**self.kwargs, **kwargs}.items() if k in _OPTIONS or k in _REPEATED
                  or k in _RESUME_OPTIONS}
        return self._execute("resume", cli_arguments(merged, {**_OPTIONS, **_RESUME_OPTIONS}))

    def cleanup(self) -> None:
        self._tmp.cleanup()

    def __enter__(self) -> "Runner":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.cleanup()

    # -- internals ---------------------------------------------------------------------
    def _environment(self) -> Dict[str, str]:
        from ..storage.factory import local_root

        env = {**os.environ, **self.env}
        if not env.get("SFNCOMPILE_DATASTORE"):
            env.setdefault("SFNCOMPILE_ROOT", local_root())
        return env

    def _execute(self, command: str, args: List[str]) -> ExecutingRun:
        from ..graph import build_graph_from_file
        from . import backend
        from .core import Run

        flow_name = self.kwargs.get("flow") or build_graph_from_file(self.flow_file).name
        id_file = os.path.join(self._tmp.name, f"{command}-run-id")
        if os.path.exists(id_file):
            os.unlink(id_file)
        argv = [sys.executable, "-m", "sfncompile", command, self.flow_file, "--run-id-file", id_file, *args]
        log.info("running %s", " ".join(argv[2:]))
        proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                                env=self._environment(), cwd=self.cwd)
        out: List[str] = []
        err: List[str] = []
        pumps = [threading.Thread(target=_pump, args=(proc.stdout, sys.stdout if self.show_output else None, out)),
                 threading.Thread(target=_pump, args=(proc.stderr, sys.stderr if self.show_output else None, err))]
        for pump in pumps:
            pump.start()
        returncode = proc.wait()
        for pump in pumps:
            pump.join()
        stdout, stderr = "".join(out), "".join(err)
        run_id = open(id_file, encoding="utf-8").read().strip() if os.path.exists(id_file) else ""
        if not run_id:
            last = stderr.strip().splitlines()[-1] if stderr.strip() else f"exit code {returncode}"
            raise CommandError(f"`sfncompile {command} {os.path.basename(self.flow_file)}` failed before a run "
                               f"started: {last}", fix="see the error above; the same command on a terminal shows it too")
        backend.reset()
        return ExecutingRun(Run(f"{flow_name}/{run_id}"), returncode, stdout, stderr)
