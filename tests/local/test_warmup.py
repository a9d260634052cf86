"""A template runs sfncompile's own task path once before it forks, and leaves nothing of it behind."""
from __future__ import annotations

import glob
import os
import signal
import sys
import tempfile

from sfncompile.flow.current import current
from sfncompile.local import template, warmup
from sfncompile.runtime import artifacts as runtime_artifacts
from sfncompile.runtime import capture
from sfncompile.storage import factory

from .helpers import run_flow


def _open_fds() -> set:
    return set(os.listdir("/proc/self/fd")) if os.path.isdir("/proc/self/fd") else set()


def _fd_identity(fd: int) -> tuple:
    st = os.fstat(fd)
    return st.st_dev, st.st_ino


def _scratch_dirs() -> list:
    parents = [tempfile.gettempdir()] + [d for d in warmup.MEMORY_DIRS if os.path.isdir(d)]
    return sorted(p for parent in parents for p in glob.glob(os.path.join(parent, "sfncompile-warmup-*")))


def test_the_warmup_runs_every_task_and_leaves_no_trace(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    before = dict(
        cwd=os.getcwd(), environ=dict(os.environ), fds=_open_fds(), out=_fd_identity(1), err=_fd_identity(2),
        streams=(sys.stdout, sys.stderr), stores=dict(factory._cache), prepared=list(capture._PREPARED),
        scratch=_scratch_dirs(),
    )
    assert warmup.warm_task_path() is True
    after = dict(
        cwd=os.getcwd(), environ=dict(os.environ), fds=_open_fds(), out=_fd_identity(1), err=_fd_identity(2),
        streams=(sys.stdout, sys.stderr), stores=dict(factory._cache), prepared=list(capture._PREPARED),
        scratch=_scratch_dirs(),
    )
    assert after == before
    assert current.flow_name is None  # no task's `current` stays set
    assert not os.listdir(tmp_path)  # nothing written where the process stands


def test_the_warmups_cached_records_name_only_its_removed_scratch_store():
    before = set(runtime_artifacts._ATTEMPT_CACHE)
    assert warmup.warm_task_path() is True
    added = set(runtime_artifacts._ATTEMPT_CACHE) - before
    assert added, "the join and end tasks read their parents' committed attempts"
    for url, flow, *_ in added:
        assert flow == "WarmupFlow"
        assert not os.path.exists(url.split(":", 1)[1])


def _record_warmups(monkeypatch, record, fail: bool = False) -> None:
    """Replace warm_task_path: append the calling pid to ``record`` (then raise, with ``fail``). With the
    fork start method the template is a fork of this process, so it calls the replacement."""

    def recording_warmup() -> bool:
        with open(record, "a") as out:
            out.write(f"{os.getpid()}\n")
        if fail:
            raise OSError("no space left on device")
        return True

    monkeypatch.setenv("SFNCOMPILE_START_METHOD", "fork")
    monkeypatch.setattr(warmup, "warm_task_path", recording_warmup)


def test_a_template_warms_itself_once_after_its_first_task_processes(tmp_path, monkeypatch):
    record = tmp_path / "warmed"
    _record_warmups(monkeypatch, record)
    monkeypatch.setattr(template, "WARM_AFTER_FORKS", 3)
    # The start task and the spares forked behind it are 3 forks; the template then waits idle while the
    # middle step sleeps, which is when it warms itself (a template with requests waiting never does).
    outcome, _ = run_flow("sleepy_flow", {"seconds": 1.0})
    assert outcome.ok
    pids = record.read_text().split()
    assert len(pids) == 1  # once per template
    assert int(pids[0]) != os.getpid()  # in the template, not in the scheduler


def test_a_run_of_fewer_task_processes_never_warms_its_template(tmp_path, monkeypatch):
    record = tmp_path / "warmed"
    _record_warmups(monkeypatch, record)
    monkeypatch.setattr(template, "WARM_AFTER_FORKS", 1000)
    outcome, _ = run_flow("linear")
    assert outcome.ok
    assert not record.exists()


def test_a_failing_warmup_leaves_the_template_working(tmp_path, monkeypatch):
    record = tmp_path / "warmed"
    _record_warmups(monkeypatch, record, fail=True)
    monkeypatch.setattr(template, "WARM_AFTER_FORKS", 1)
    outcome, _ = run_flow("sleepy_flow", {"seconds": 1.0})  # idle while a step sleeps: the template warms
    assert outcome.ok
    assert record.exists()  # it did run, and failed


def test_the_scratch_stores_go_to_a_memory_directory_where_there_is_one(tmp_path, monkeypatch):
    memory = tmp_path / "memory"
    memory.mkdir()
    made = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args, **kwargs):
        made.append(real_mkdtemp(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(warmup.tempfile, "mkdtemp", recording_mkdtemp)
    monkeypatch.setattr(warmup, "MEMORY_DIRS", (str(tmp_path / "absent"), str(memory)))
    assert warmup.warm_task_path() is True
    assert [os.path.dirname(path) for path in made] == [str(memory)]
    assert not os.listdir(memory)

    monkeypatch.setattr(warmup, "MEMORY_DIRS", (str(tmp_path / "absent"),))
    assert warmup.warm_task_path() is True
    assert os.path.dirname(made[-1]) == tempfile.gettempdir()


def test_a_template_stopped_during_its_warmup_ends_only_after_it(tmp_path, monkeypatch):
    """SIGTERM (the scheduler's death) is held while the template warms up: the warm-up finishes (and
    removes its scratch directory) before the template ends."""
    record = tmp_path / "warmed"

    def stopped_warmup() -> bool:
        first = not record.exists()
        with open(record, "a") as out:
            out.write("began\n")
        if first:
            os.kill(os.getpid(), signal.SIGTERM)
        with open(record, "a") as out:
            out.write("finished\n")
        return True

    monkeypatch.setenv("SFNCOMPILE_START_METHOD", "fork")
    monkeypatch.setattr(warmup, "warm_task_path", stopped_warmup)
    monkeypatch.setattr(template, "WARM_AFTER_FORKS", 1)
    run_flow("sleepy_flow", {"seconds": 1.0})  # idle while a step sleeps: the template warms (and is stopped)
    assert record.read_text().split()[:2] == ["began", "finished"]
