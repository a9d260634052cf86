"""cfn-lint accepts every synthesized template, with no rule ignored.

It catches what CDK cannot: property values CloudFormation would reject at
deploy time (enum values, patterns, required combinations) for each resource type.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

from .synth_helpers import CONFIGURATIONS, Synthesis


def _cfn_lint() -> str:
    """The cfn-lint installed next to this interpreter (the project venv), else on PATH."""
    beside = Path(sys.executable).parent / "cfn-lint"
    if beside.exists():
        return str(beside)
    found = shutil.which("cfn-lint")
    assert found, "cfn-lint is not installed: pip install -e '.[test]'"
    return found


def test_cfn_lint_finds_nothing_in_any_stage_template(synth: Synthesis, tmp_path: Path) -> None:
    paths = []
    for stage in sorted(CONFIGURATIONS):
        path = tmp_path / f"sfncompile-{stage}.template.json"
        path.write_text(json.dumps(synth.json(stage), indent=1))
        paths.append(str(path))
    # Templates name us-east-1 (cdk.context.json's placeholder region), so lint for it.
    result = subprocess.run(
        [_cfn_lint(), "--regions", "us-east-1", "--format", "parseable", "--", *paths],
        capture_output=True, text=True, timeout=300,
    )
    # Exit status is a bit mask: 2 errors, 4 warnings, 8 informational; 0 is clean.
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == ""
