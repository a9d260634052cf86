"""`sfncompile ui`: local-only by default, and a one-line fix when the [ui] extra is missing."""
from __future__ import annotations

import importlib.util

from click.testing import CliRunner

from sfncompile.cli.main import cli


def test_ui_binds_to_localhost_on_8324_by_default(monkeypatch):
    import sfncompile.ui

    seen = {}
    monkeypatch.setattr(sfncompile.ui, "serve", lambda **kw: seen.update(kw))
    result = CliRunner().invoke(cli, ["ui"])
    assert result.exit_code == 0, result.output
    assert seen == {"port": 8324, "host": "127.0.0.1", "open_browser": False, "preview_limit": 8 * 2**20}


def test_ui_without_the_extra_says_how_to_install_it(monkeypatch):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "uvicorn" else real(name, *a))
    result = CliRunner().invoke(cli, ["ui"])
    assert result.exit_code == 1
    assert "the UI needs uvicorn, which is not installed" in result.output
    assert "pip install 'sfncompile[ui]'" in result.output
    assert "Traceback" not in result.output
