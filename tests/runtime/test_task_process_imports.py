"""What a task's process loads before its step runs, in a real `sfncompile task` process (local stores):
no click and no command group (the entry point reads a well-formed task command itself), no card
rendering for a step without a card, and no dataclass of ours without a docstring of its own
(without one, @dataclass computes the class's signature at import: ~0.3-0.7 ms each, every task)."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

FLOW = '''
from sfncompile import FlowSpec, card, current, step


class LightFlow(FlowSpec):
    @step
    def start(self):
        self.numbers = list(range(10))
        self.next(self.end)

    @card
    @step
    def end(self):
        current.card.append(__import__("sfncompile.cards", fromlist=["Markdown"]).Markdown("# done"))
        self.total = sum(self.numbers)
'''

_PROBE = r"""
import atexit, dataclasses, json, sys
WATCHED = ("click", "sfncompile.cli.group", "sfncompile.cards.components", "sfncompile.cards.page")


def report():
    print("REPORT " + json.dumps({"modules": sorted(m for m in WATCHED if m in sys.modules),
                                  "undocumented": _undocumented()}))


def _undocumented():
    found = []
    for name, module in list(sys.modules.items()):
        if not name.startswith("sfncompile"):
            continue
        for cls in list(vars(module).values()):
            if isinstance(cls, type) and dataclasses.is_dataclass(cls) and cls.__module__ == name:
                doc = cls.__dict__.get("__doc__")
                if not doc or doc.startswith(cls.__name__ + "("):  # the signature @dataclass wrote
                    found.append(f"{name}.{cls.__name__}")
    return sorted(found)


atexit.register(report)
from sfncompile.cli import main
main(sys.argv[1:])
"""


def _task(tmp_path, *args: str) -> dict:
    out = subprocess.run([sys.executable, "-c", _PROBE, "task", *args, "--flow-file", str(tmp_path / "light.py")],
                         cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.split("REPORT ", 1)[1].splitlines()[0])


def test_a_task_loads_neither_click_nor_card_rendering_nor_an_undocumented_dataclass(tmp_path):
    (tmp_path / "light.py").write_text(textwrap.dedent(FLOW))
    start = _task(tmp_path, "start", "--run-id", "sfn-light", "--task-id", "0", "--attempt", "0",
                  "--params-json", "{}")
    assert start == {"modules": [], "undocumented": []}
    end = _task(tmp_path, "end", "--run-id", "sfn-light", "--task-id", "0", "--attempt", "0")
    # A step with a card renders it: its components and page are loaded then, and only then.
    assert end == {"modules": ["sfncompile.cards.components", "sfncompile.cards.page"], "undocumented": []}
