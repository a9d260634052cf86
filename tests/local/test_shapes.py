"""Every example flow and every shape flow, run end to end; artifact values checked through the client."""
from __future__ import annotations

import pytest

from sfncompile import Run

from .helpers import run_flow


def _run(name, params=None, **kw):
    outcome, text = run_flow(name, params, **kw)
    assert outcome.ok, text
    return Run(f"{outcome.flow}/{outcome.run_id}"), text


def test_hello(capfd, start_method):
    run, text = _run("hello")
    assert run.data.message == "hello, world"
    assert run["start"].task.data.greeting == "hello"
    printed = capfd.readouterr().out  # workers write to the process's stdout
    assert f"[HelloFlow/{run.id}/hello/0] hello from HelloFlow/{run.id}/hello/0\n" in printed
    assert run["hello"].task.stdout == f"hello from HelloFlow/{run.id}/hello/0\n"
    assert run.successful and run.finished and run.status == "SUCCEEDED"


def test_branch(start_method):
    run, _ = _run("branch")
    assert run.data.results == {"double": 20, "square": 100}
    assert run.data.base == 10
    assert "result" not in run["join"].task
    assert sorted(p.step_name for p in run["join"].task.parent_tasks) == ["double", "square"]


def test_foreach_with_parameter(start_method):
    run, _ = _run("foreach", {"width": "4"})
    assert run.data.squares == [0, 1, 4, 9]
    assert run.data.width == 4
    tasks = sorted(run["square"].tasks(), key=lambda t: t.index)
    assert [t.id for t in tasks] == ["0", "1", "2", "3"]
    assert [t.index for t in tasks] == [0, 1, 2, 3]
    assert [t.data.value for t in tasks] == [0, 1, 4, 9]
    assert run["start"].task.cardinality == 4


def test_loop(start_method):
    run, _ = _run("loop")
    assert run.data.rounds == 3
    # newest first, as in Metaflow: the last visit of a loop comes first
    assert [t.id for t in run["work"].tasks()] == ["v2", "v1", "v0"]
    assert [t.id for t in run["check"].tasks()] == ["v2", "v1", "v0"]
    assert [t.choice for t in run["check"].tasks()] == ["done", "again", "again"]
    assert [t.data.rounds for t in run["work"].tasks()] == [3, 2, 1]


def test_nested_foreach():
    run, _ = _run("nested_foreach")
    assert run.data.table == {
        "linear": [(6, 0, 0), (6, 1, 0), (6, 2, 0)],
        "tree": [(4, 0, 1), (4, 1, 1), (4, 2, 1)],
    }
    fit = run["fit"]
    assert sorted(t.id for t in fit.tasks()) == ["0.0", "0.1", "0.2", "1.0", "1.1", "1.2"]
    assert fit["1.2"].foreach_stack == (1, 2)
    assert fit["1.2"].index == 2


def test_parameters(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("some notes\n")
    run, _ = _run("parameters", {"label": "x", "alpha": "0.5", "verbose": "true", "notes": str(notes)})
    assert run.data.summary == {
        "alpha": 0.5,
        "epochs": 2,
        "verbose": True,
        "grid": {"depth": [1, 2]},
        "label": "x",
        "notes": "some notes\n",
    }
    # parameters are artifacts of start, inherited everywhere
    assert run["start"].task.data.alpha == 0.5
    assert run.data.notes == "some notes\n"
    assert run.parameters["label"] == "x"
    # the included file is versioned with the run: changing it later changes nothing
    notes.write_text("changed")
    assert Run(run.pathspec).data.notes == "some notes\n"


def test_parameters_required_only():
    run, _ = _run("parameters", {"label": "x"})
    assert run.data.summary["label"] == "x"
    assert run.data.summary["notes"] is None


@pytest.mark.parametrize("size,method,step", [(3, "in-memory", "small"), (20, "distributed", "big")])
def test_switch(size, method, step):
    run, _ = _run("switch", {"size": size})
    assert run.data.method == method
    assert step in run
    other = {"small": "big", "big": "small"}[step]
    assert other not in run
    assert run["start"].task.choice == step


def test_train():
    run, _ = _run("train", {"alpha": "0.5"})
    assert run.data.best == 1.5
    fit = sorted(run["fit"].tasks(), key=lambda t: t.index)
    assert [t.data.score for t in fit] == [0.5, 1.0, 1.5]
    assert [t.id for t in fit] == ["v0.0", "v0.1", "v0.2"]
    assert run["check"].task.data.check_error is None  # @catch var: None when the step succeeds
    assert run.data.alpha == 0.5


def test_linear():
    run, _ = _run("linear")
    assert run.data.final == 20
    assert run["a"].task.data.x == 2


def test_branch_in_foreach():
    run, _ = _run("branch_in_foreach")
    assert run["collect"].task.data.pairs == [(101, 100), (102, 200), (103, 300)]
    assert sorted(t.id for t in run["plus"].tasks()) == ["0", "1", "2"]


def test_loop_in_foreach():
    run, _ = _run("loop_in_foreach")
    assert run["join"].task.data.counts == [1, 2, 3]
    assert sorted(t.id for t in run["bump"].tasks()) == ["0.v0", "1.v0", "1.v1", "2.v0", "2.v1", "2.v2"]


def test_nested_branches():
    run, _ = _run("nested_branches")
    assert run["join"].task.data.all_parts == ["l1", "l2", "r"]
    assert run.data.v == 1


def test_nested_foreach3():
    run, _ = _run("nested_foreach3")
    expected = [x + y + z for x in (1, 2) for y in (10, 20) for z in (100, 200, 300)]
    assert run["join_a"].task.data.totals == expected
    assert run["c"]["1.0.2"].data.path == (1, 0, 2)
    assert len(run["c"].tasks()) == 12


def test_switch_in_branch():
    run, _ = _run("switch_in_branch")
    assert run["join"].task.data.results == ["fast path", "other branch"]
    assert "slow" not in run


def test_switch_in_foreach():
    run, _ = _run("switch_in_foreach")
    assert run["join"].task.data.labels == ["1:odd", "2:even", "3:odd", "4:even"]
    assert sorted(t.id for t in run["even"].tasks()) == ["1", "3"]


def test_loop_exiting_into_a_foreach_join():
    run, _ = _run("loop_exit_join_flow")
    assert run["join"].task.data.counts == [2, 1, 3]
    assert sorted(t.id for t in run["bump"].tasks()) == ["0.v0", "0.v1", "1.v0", "2.v0", "2.v1", "2.v2"]
    assert [p.id for p in run["join"].task.parent_tasks] == ["0.v1", "1.v0", "2.v2"]
    assert run["bump"]["2.v1"].choice == "yes"
