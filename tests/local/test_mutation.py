"""In-place changes to inherited artifacts are stored, as Metaflow does; unread artifacts are never loaded."""
from __future__ import annotations

from sfncompile import Run

from .helpers import run_flow


def test_in_place_changes_to_inherited_artifacts_are_persisted(tmp_path, monkeypatch):
    tripwire = tmp_path / "tripwire.log"
    monkeypatch.setenv("TRIPWIRE_FILE", str(tripwire))
    outcome, text = run_flow("mutation_flow")
    assert outcome.ok, text
    # The artifact no step read was never unpickled by any task.
    assert not tripwire.exists(), tripwire.read_text()
    run = Run(f"{outcome.flow}/{outcome.run_id}")
    start, mutate, join = run["start"].task, run["mutate"].task, run["join"].task

    # linear: a DataFrame column, a filtered table, a list and a dict, all changed in place
    assert mutate.data.df["x"].tolist() == [0, 0, 0, 0]
    assert mutate.data.table["y"].tolist() == [25, 35]
    assert mutate.data.items == [1, 2]
    assert mutate.data.config == {"stage": "mutate"}
    assert start.data.items == [1] and start.data.df["x"].tolist() == [1, 2, 3, 4]  # the parent's values stay
    # read but unchanged: the same blob (content addressing makes it free); never read: a reference
    assert mutate["frozen"].sha == start["frozen"].sha
    assert mutate["untouched"].sha == start["untouched"].sha == join["untouched"].sha
    assert mutate["df"].sha != start["df"].sha

    # branches: each branch's own change, read in the join through inputs
    assert join.data.items_by_branch == {"a": [1, 2, "a"], "b": [1, 2]}
    assert join.data.y_by_branch == {"a": [10, 20, 30, 40], "b": [-1, 20, 30, 40]}
    # merge_artifacts carries the branches' (equal) changes, and a change made in the join itself
    assert join.data.config == {"stage": "mutate", "seen": True, "joined": True}
    assert join.data.table["y"].tolist() == [25, 35]

    # foreach: every item changes its own copy
    works = sorted(run["work"].tasks(), key=lambda t: t.index)
    assert [w.data.config["item"] for w in works] == [0, 1, 2]
    gather = run["gather"].task
    assert gather.data.items_per_item == [0, 1, 2]
    assert gather.data.table_per_item == [[25, 35], [26, 36], [27, 37]]
    # a linear step after a join: the join's list, appended to in place
    assert run.data.log == ["gather", "end"]
