"""check / show / graph on the command line, and `python flow.py show|check`."""
from __future__ import annotations

import os
import re
import subprocess
import sys

from click.testing import CliRunner

from sfncompile.cli import cli

from ..conftest import EXAMPLES, ROOT

TRAIN = os.path.join(EXAMPLES, "train.py")


def run_cli(*args):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_check_prints_summary():
    result = run_cli("check", TRAIN)
    assert result.exit_code == 0
    assert result.output.startswith("TrainFlow: OK (5 steps:")


def test_check_reports_errors_without_a_stack(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from sfncompile import FlowSpec, step\n\nclass B(FlowSpec):\n    @step\n    def start(self):\n"
        "        self.next(self.nope)\n\n    @step\n    def end(self):\n        pass\n"
    )
    result = run_cli("check", str(bad))
    assert result.exit_code == 1
    assert f"{bad}:6 (step 'start'): self.next goes to 'nope'" in result.output
    assert "Traceback" not in result.output


def test_show_text():
    out = run_cli("show", TRAIN).output
    assert "TrainFlow" in out and "switch on self.verdict" in out and "--alpha (float, default 0.1)" in out
    assert "@retry(times=2" in out


def test_graph_mermaid_and_dot():
    mermaid = run_cli("graph", TRAIN, "--format", "mermaid").output
    assert mermaid.startswith("flowchart TD") and 's_check -->|"verdict == retry (loop)"| s_start' in mermaid
    dot = run_cli("graph", TRAIN, "--format", "dot").output
    assert dot.startswith('digraph "TrainFlow"') and '"check" -> "start"' in dot and "style=dashed" in dot


def test_flow_file_is_its_own_cli():
    env = dict(os.environ, PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, TRAIN, "check"], capture_output=True, text=True, env=env, cwd=EXAMPLES)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("TrainFlow: OK")
    out = subprocess.run([sys.executable, TRAIN, "show"], capture_output=True, text=True, env=env, cwd=EXAMPLES)
    assert out.returncode == 0 and "switch on self.verdict" in out.stdout


def test_check_warns_when_the_definition_nears_the_size_limit(tmp_path):
    from tests.compiler.test_limits import linear_flow

    path = tmp_path / "long.py"
    path.write_text("from sfncompile import FlowSpec, step\n\n" + linear_flow(2800))
    # A process of its own: its stderr is separate whatever click's version (CliRunner mixes it on older ones).
    result = subprocess.run([sys.executable, "-m", "sfncompile", "check", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("LongFlow: OK (2800 steps:")
    # The exact byte count depends on the stage's names the test environment assumes; the share does not.
    assert re.search(r"warning: the definition is 1,00\d,\d{3} bytes as deployed, 96% of Step Functions' limit",
                     result.stderr), result.stderr
    assert "fix: split the flow: its 2,800 steps take about 360 bytes each" in result.stderr
    small = subprocess.run([sys.executable, "-m", "sfncompile", "check", TRAIN], capture_output=True, text=True)
    assert small.returncode == 0 and "bytes as deployed" not in small.stderr