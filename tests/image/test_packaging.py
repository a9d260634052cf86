"""Packaging facts that users and tools rely on, checked from the source tree.

The public API is a literal ``__all__`` (type checkers and IDEs read it without
running code) whose every name resolves; the version lives in one place; the
oldest Python CI tests is the one ``requires-python`` promises.
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import sfncompile

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE_INIT = REPO_ROOT / "sfncompile" / "__init__.py"


def _pyproject() -> str:
    return (REPO_ROOT / "pyproject.toml").read_text()


def test_all_is_a_literal_list_of_names_that_resolve() -> None:
    tree = ast.parse(PACKAGE_INIT.read_text())
    assigned = [
        node.value for node in tree.body
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets)
    ]
    assert len(assigned) == 1, "assign __all__ exactly once"
    names = ast.literal_eval(assigned[0])  # raises if it is not a literal
    assert names == sfncompile.__all__
    assert len(set(names)) == len(names)
    for name in names:
        assert getattr(sfncompile, name) is not None, name


def test_version_has_one_source() -> None:
    text = _pyproject()
    assert re.search(r'^dynamic = \["version"\]$', text, re.MULTILINE)
    assert 'version = { attr = "sfncompile.__version__" }' in text
    assert not re.search(r'^version = "', text, re.MULTILINE), "pyproject.toml must not repeat the version"
    assert re.fullmatch(r"\d+\.\d+\.\d+", sfncompile.__version__)


def test_package_ships_a_type_marker_and_a_spdx_license() -> None:
    text = _pyproject()
    assert (REPO_ROOT / "sfncompile" / "py.typed").exists()
    assert 'sfncompile = ["py.typed"]' in text
    assert re.search(r'^license = "Apache-2.0"$', text, re.MULTILINE)
    assert "Apache License" in (REPO_ROOT / "LICENSE").read_text()


def test_ci_tests_the_oldest_python_that_requires_python_allows() -> None:
    oldest = re.search(r'^requires-python = ">=(\d+\.\d+)"$', _pyproject(), re.MULTILINE)
    assert oldest, "requires-python must be a plain lower bound"
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    assert re.search(rf"^OLDEST={re.escape(oldest.group(1))}\b", ci, re.MULTILINE), (
        f"requires-python says {oldest.group(1)}; .ci/run must test that version"
    )


def test_ci_runs_the_test_command_the_readme_gives() -> None:
    readme = (REPO_ROOT / "README.md").read_text()
    command = re.search(r"\.venv/bin/python -m pytest[^\n]*", readme)
    assert command, "README.md must show the test command"
    ci_lines = [line.strip() for line in (REPO_ROOT / ".ci" / "run").read_text().splitlines()]
    assert command.group(0).strip() in ci_lines
