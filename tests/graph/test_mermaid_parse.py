"""Every example's `graph --format mermaid` output parses in Mermaid 11 (loops included).

Mermaid's own parser runs in headless Chromium: the `mermaid` npm package's dist bundle
(node_modules, from package.json) is loaded into a page and ``mermaid.parse`` is called.
"""
from __future__ import annotations

import glob
import json
import os

import pytest

from sfncompile.graph import build_graph_from_file
from sfncompile.graph.render import render_mermaid

from ..conftest import EXAMPLES, FLOWS, ROOT

pytestmark = pytest.mark.browser  # Mermaid 11 runs inside headless Chromium

MERMAID_JS = os.path.join(ROOT, "node_modules", "mermaid", "dist", "mermaid.min.js")
FLOW_FILES = sorted(glob.glob(os.path.join(EXAMPLES, "*.py")) + glob.glob(os.path.join(FLOWS, "*.py")))


@pytest.fixture(scope="module")
def mermaid_page(browser, tmp_path_factory):
    if not os.path.exists(MERMAID_JS):
        raise RuntimeError(f"{MERMAID_JS} is missing: run `npm ci` (package.json lists mermaid)")
    page = tmp_path_factory.mktemp("mermaid") / "parse.html"
    page.write_text(f'<!doctype html><html><body><script src="file://{MERMAID_JS}"></script></body></html>')
    browser.get(f"file://{page}")
    with open(os.path.join(ROOT, "node_modules", "mermaid", "package.json")) as fh:
        assert json.load(fh)["version"].startswith("11."), "the test parses with Mermaid 11"
    assert browser.execute_script("return typeof (window.mermaid && window.mermaid.parse);") == "function"
    browser.execute_script("mermaid.initialize({startOnLoad: false});")
    return browser


def parse(driver, text: str) -> str:
    """'ok', or Mermaid's parse error message."""
    return driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "mermaid.parse(arguments[0]).then(() => done('ok'), e => done(String(e && e.message || e)));",
        text,
    )


@pytest.mark.parametrize("path", FLOW_FILES, ids=lambda p: os.path.relpath(p, ROOT))
def test_mermaid_output_parses(mermaid_page, path):
    graph = build_graph_from_file(path, None)
    assert parse(mermaid_page, render_mermaid(graph)) == "ok"


def test_a_loop_label_parses_only_quoted(mermaid_page):
    """The case that used to break: a switch label with `==` and `(loop)` on an edge going back."""
    graph = build_graph_from_file(os.path.join(EXAMPLES, "loop.py"), None)
    text = render_mermaid(graph)
    assert '|"' in text and "(loop)" in text
    unquoted = text.replace('|"', "|").replace('"|', "|")
    assert parse(mermaid_page, unquoted) != "ok"
    assert parse(mermaid_page, "flowchart TD\n    a -->|\"x == #quot;y#quot; (loop)\"| b\n") == "ok"
