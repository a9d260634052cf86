"""A template runs sfncompile's own task path once before it forks, and leaves nothing of it behind."""
from __future__ import annotations

import glob
import os
import sys
import tempfile

from sfncompile.flow.current import current
from sfncompile.local import warmup
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


def test_the_template_warms_the_task_path_before_it_forks(tmp_path, monkeypatch):
    """With the fork start method the template is a fork of this process: it calls warm_task_path
    (recorded in a file by the replacement), and its tasks then run as usual."""
    record = tmp_path / "warmed"

    def recording_warmup() -> bool:
        record.write_text(str(os.getpid()))
        return True

    monkeypatch.setenv("SFNCOMPILE_START_METHOD", "fork")
    monkeypatch.setattr(warmup, "warm_task_path", recording_warmup)
    outcome, _ = run_flow("linear")
    assert outcome.ok
    assert int(record.read_text()) != os.getpid()  # in the template, not in the scheduler


def test_a_failing_warmup_leaves_the_template_working(monkeypatch):
    def failing_warmup() -> bool:
        raise OSError("no space left on device")

    monkeypatch.setenv("SFNCOMPILE_START_METHOD", "fork")
    monkeypatch.setattr(warmup, "warm_task_path", failing_warmup)
    outcome, _ = run_flow("linear")
    assert outcome.ok


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
