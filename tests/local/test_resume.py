"""Resume after an injected failure: earlier tasks are reused (not re-run), the rest runs."""
from __future__ import annotations

import pytest

from sfncompile import Flow, Run
from sfncompile.exceptions import SfnCompileError

from .helpers import run_flow


def _counts(path):
    lines = path.read_text().split() if path.exists() else []
    out = {}
    for line in lines:
        out[line] = out.get(line, 0) + 1
    return out


def test_resume_reuses_tasks_before_the_failure(tmp_path, monkeypatch, start_method):
    counter = tmp_path / "count.txt"
    monkeypatch.setenv("RESUME_FLOW_COUNTER", str(counter))
    monkeypatch.setenv("RESUME_FLOW_FAIL", "1")
    failed, text = run_flow("resume_flow", {"scale": "2"})
    assert not failed.ok
    assert "injected failure" in text
    first = _counts(counter)
    assert first == {"start": 1, "square/0": 1, "square/1": 1, "square/2": 1, "join": 1, "train": 1}
    origin = Run(f"ResumeFlow/{failed.run_id}")
    assert origin.status == "FAILED" and origin.failed_step == "train"

    monkeypatch.delenv("RESUME_FLOW_FAIL")
    resumed, text = run_flow("resume_flow", resume=True)  # default origin: the latest run
    assert resumed.ok, text
    second = _counts(counter)
    # only train and end ran again
    assert {k: second[k] - first.get(k, 0) for k in second if second[k] != first.get(k, 0)} == {"train": 1, "end": 1}
    run = Run(f"ResumeFlow/{resumed.run_id}")
    assert run.origin_run_id == failed.run_id
    assert run.data.total == (1 + 4 + 9) * 2  # the origin's parameters are used
    assert run.parameters["scale"] == 2
    # reused tasks: same artifacts (same blobs), recorded as clones
    for step in ("start", "square", "join"):
        for task in run[step].tasks():
            old = origin[step][task.id]
            assert task.origin_pathspec == old.pathspec
            assert {a.name: a.sha for a in task} == {a.name: a.sha for a in old}
    assert run["train"].task.origin_pathspec is None
    assert f"reused from ResumeFlow/{failed.run_id}/start/0" in text


def test_resume_from_a_step(tmp_path, monkeypatch):
    counter = tmp_path / "count.txt"
    monkeypatch.setenv("RESUME_FLOW_COUNTER", str(counter))
    first, _ = run_flow("resume_flow")
    assert first.ok
    before = _counts(counter)
    again, text = run_flow("resume_flow", resume=True, origin_run_id=first.run_id, resume_step="join")
    assert again.ok, text
    after = _counts(counter)
    assert {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)} == {
        "join": 1, "train": 1, "end": 1
    }
    assert Run(f"ResumeFlow/{again.run_id}").data.total == 14


def test_resume_errors(tmp_path):
    with pytest.raises(SfnCompileError, match="no earlier run of ResumeFlow"):
        run_flow("resume_flow", resume=True)
    ok, _ = run_flow("resume_flow")
    with pytest.raises(SfnCompileError, match="succeeded: nothing to resume"):
        run_flow("resume_flow", resume=True)
    with pytest.raises(SfnCompileError, match="no run ResumeFlow/nope to resume"):
        run_flow("resume_flow", resume=True, origin_run_id="nope")
    with pytest.raises(SfnCompileError, match="has no such step"):
        run_flow("resume_flow", resume=True, resume_step="nosuchstep")
    assert len(Flow("ResumeFlow").runs()) == 1
