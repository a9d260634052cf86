"""State names: readable, unique in the whole machine, at most 80 characters."""
from __future__ import annotations

import textwrap

from sfncompile.compiler import compile_flow
from sfncompile.compiler.names import NameRegistry, shorten
from sfncompile.graph import build_graph_from_file

from .helpers import all_states, compile_path, graph_of, SHAPES


def names_of(definition):
    names = list(definition["States"])
    for state in all_states(definition):
        for branch in state.get("Branches", []):
            names.extend(branch["States"])
        if "ItemProcessor" in state:
            names.extend(state["ItemProcessor"]["States"])
    return names


def test_shorten_keeps_a_readable_head_and_a_stable_hash():
    long = "a_very_long_step_name_" * 6
    short = shorten(long, 40)
    assert len(short) == 40
    assert short.startswith("a_very_long_step_name_a_very_long")
    assert short == shorten(long, 40)
    assert short != shorten(long[:-1] + "X", 40), "different names stay different"
    assert shorten("fit", 40) == "fit"


def test_registry_makes_names_unique_and_short():
    names = NameRegistry()
    assert names.claim("fit", " failed") == "fit failed"
    assert names.claim("fit", " failed") == "fit failed 2"
    long = "s" * 100
    first = names.claim(long, " cardinality")
    second = names.claim(long, " cardinality")
    assert first.endswith(" cardinality") and len(first) == 80
    assert second.endswith(" cardinality 2") and len(second) == 80
    assert first != second


def test_long_step_names_compile_to_short_unique_state_names(tmp_path):
    a, b = "prepare_the_training_data_" + "x" * 70, "prepare_the_training_data_" + "y" * 70
    path = tmp_path / "long.py"
    path.write_text("from sfncompile import FlowSpec, step\n\n" + textwrap.dedent(f"""
        class LongFlow(FlowSpec):
            @step
            def start(self):
                self.next(self.{a})

            @step
            def {a}(self):
                self.items = [1, 2]
                self.next(self.{b}, foreach="items")

            @step
            def {b}(self):
                self.next(self.join)

            @step
            def join(self, inputs):
                self.next(self.end)

            @step
            def end(self):
                pass
    """))
    definition = compile_flow(build_graph_from_file(str(path))).definition
    names = names_of(definition)
    assert len(names) == len(set(names))
    assert max(len(n) for n in names) <= 80
    shortened = [n for n in names if n.startswith("prepare_the_training_data_")]
    assert any(n.endswith(" cardinality") for n in shortened), "helper suffixes survive shortening"
    # the Batch job and its parameters keep the real step name
    tasks = [s for s in all_states(definition) if s.get("Resource", "").startswith("arn:aws:states:::batch")]
    assert {t["Parameters"]["Parameters"]["s"] for t in tasks} >= {a, b}


def test_names_are_step_names_plus_readable_suffixes():
    definition = compile_path(next(p for p in SHAPES if p.endswith("switch_in_foreach.py"))).definition
    top = list(definition["States"])
    assert top[:6] == ["set up run", "start", "start cardinality", "start mode", "start items", "start inline"]
    inline = definition["States"]["start inline"]["ItemProcessor"]["States"]
    assert list(inline)[:4] == ["classify", "classify choice", "classify switch", "classify unknown case"]
    distributed = definition["States"]["start distributed"]["ItemProcessor"]["States"]
    assert "classify (d)" in distributed, "the distributed copy of a body is told apart by a tag"


def test_every_state_name_is_unique_in_every_compiled_shape():
    for path in SHAPES:
        names = names_of(compile_path(path).definition)
        assert len(names) == len(set(names)), graph_of(path).name
