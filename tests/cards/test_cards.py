"""Cards: components, the self-contained HTML page, @card in a real run, and Task.cards."""
from __future__ import annotations

import os
import re
import subprocess

import pytest

from sfncompile.cards import Artifact, Image, Markdown, ProgressBar, Table, VegaChart, render_card
from sfncompile.cards.markdown import to_html
from sfncompile.exceptions import FlowDefinitionError

from ..local.helpers import run_flow

HERE = os.path.dirname(os.path.abspath(__file__))
CARD_FLOW = os.path.join(HERE, "flows", "card_flow.py")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00\x90wS\xde"
       b"\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef\x00\x00\x00\x00IEND\xaeB`\x82")


def test_markdown_renders_common_markup_and_escapes_html():
    html = to_html("# Title\n\nSome **bold**, *em* and `a<b`.\n\n- one\n- two\n\n```\nx = 1 < 2\n```\n> quoted")
    assert "<h1>Title</h1>" in html
    assert "<strong>bold</strong>" in html and "<em>em</em>" in html
    assert "<code>a&lt;b</code>" in html
    assert "<ul><li>one</li><li>two</li></ul>" in html
    assert "<pre><code>x = 1 &lt; 2</code></pre>" in html
    assert "<blockquote><p>quoted</p></blockquote>" in html
    assert to_html("<script>alert(1)</script>") == "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"


def test_markdown_keeps_safe_links_only():
    assert '<a href="https://example.org/x">site</a>' in to_html("[site](https://example.org/x)")
    assert "href" not in to_html("[bad](javascript:alert(1))")


def test_table_from_a_dataframe_shows_its_head_and_row_count():
    import pandas as pd

    df = pd.DataFrame({"a": range(300), "b": ["x"] * 300})
    html = Table.from_dataframe(df, max_rows=5).render()
    assert html.count("<tr>") == 6  # header + 5 rows
    assert "5 of 300 rows shown" in html
    assert '<th scope="col">a</th>' in html


def test_image_embeds_bytes_as_a_data_uri_and_rejects_other_bytes():
    html = Image(PNG, label="dot").render()
    assert 'src="data:image/png;base64,' in html and "<figcaption>dot</figcaption>" in html
    with pytest.raises(ValueError, match="not PNG"):
        Image(b"plain text")


def test_image_from_a_pil_image_and_a_figure_like_object():
    import base64
    import io

    from PIL import Image as PILImage

    pil = PILImage.new("RGB", (3, 2), (200, 10, 10))
    html = Image.from_pil_image(pil, label="red").render()
    data = base64.b64decode(html.split("base64,", 1)[1].split('"', 1)[0])
    assert PILImage.open(io.BytesIO(data)).size == (3, 2)

    class Figure:  # what Image needs of a matplotlib figure: savefig(buffer, format="png")
        def savefig(self, buf, format, bbox_inches):
            assert format == "png"
            pil.save(buf, format="PNG")

    assert 'src="data:image/png;base64,' in Image.from_matplotlib(Figure()).render()


def test_artifact_progress_and_vega():
    assert "{&#x27;k&#x27;: [1, 2]}" in Artifact({"k": [1, 2]}).render()
    assert "... (" in Artifact("x" * 5000).render()  # truncated
    bar = ProgressBar(max=10, label="steps")
    bar.update(4)
    assert 'value="4"' in bar.render() and "4 / 10" in bar.render()
    spec = {"data": {"values": [{"x": 1, "y": 2}, {"x": 2, "y": 3}]}, "mark": "line",
            "encoding": {"x": {"field": "x", "type": "quantitative"}, "y": {"field": "y", "type": "quantitative"}}}
    assert "<polyline" in VegaChart(spec).render()
    remote = {"data": {"url": "https://example.org/data.csv"}, "mark": "bar", "encoding": {}}
    assert "not drawn offline: data must be inline data.values" in VegaChart(remote).render()


def test_a_card_page_is_self_contained():
    page = render_card([Markdown("hi"), Image(PNG)], title="t")
    assert page.startswith("<!doctype html>")
    assert "<script" not in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "a card must not load anything from the network"
    assert "<link" not in page


def test_card_decorator_rejects_bad_settings():
    from sfncompile import FlowSpec, card, step

    with pytest.raises(FlowDefinitionError, match="type=.* must be one of default, blank"):
        class A(FlowSpec):  # noqa: F841
            @card(type="fancy")
            @step
            def start(self):
                self.next(self.end)

    with pytest.raises(FlowDefinitionError, match="two @card decorators with no id"):
        class B(FlowSpec):  # noqa: F841
            @card
            @card
            @step
            def start(self):
                self.next(self.end)

    with pytest.raises(FlowDefinitionError, match="keys among title"):
        class C(FlowSpec):  # noqa: F841
            @card(options={"colour": "red"})
            @step
            def start(self):
                self.next(self.end)

    with pytest.raises(FlowDefinitionError, match="@card got unknown argument"):
        card(colour="red")


def test_cards_of_a_run(capfd):
    from sfncompile import Task, namespace

    outcome, printed = run_flow(CARD_FLOW)
    assert outcome.status == "SUCCEEDED", printed
    namespace(None)
    run_id = outcome.run_id
    start = Task(f"CardFlow/{run_id}/start/0").cards
    assert [c.id for c in start] == ["default"]
    # The default card lists the step's artifacts, escaped.
    html = start[0].html
    assert "numbers" in html and "[1, 2, 3]" in html and "&lt;b&gt;not bold&lt;/b&gt;" in html
    assert os.path.isfile(start[0].path)

    report = {c.id: c for c in Task(f"CardFlow/{run_id}/report/0").cards}
    assert sorted(report) == ["default", "extra"]
    page = report["default"].html
    assert "<h1>Report</h1>" in page and "<strong>bold</strong>" in page
    assert "<table>" in page and "<progress" in page and "<svg" in page
    # The broken component shows its error; the task still succeeded.
    assert "Exploding could not render: RuntimeError: render exploded" in page
    assert "the extra card" in report["extra"].html and "<h1>Report</h1>" not in report["extra"].html
    assert "<title>Extra report</title>" in report["extra"].html
    assert Task(f"CardFlow/{run_id}/plain/0").cards == []
    assert "has no @card, so the component is dropped" in Task(f"CardFlow/{run_id}/plain/0").stderr


def test_a_card_that_cannot_be_stored_does_not_fail_the_task(monkeypatch):
    from sfncompile.runtime.artifacts import ArtifactIO

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(ArtifactIO, "put_card", broken)
    outcome, printed = run_flow(CARD_FLOW, max_workers=1)
    assert outcome.status == "SUCCEEDED", printed


def test_a_failed_task_keeps_a_card_showing_its_error():
    from sfncompile import Task, namespace

    outcome, printed = run_flow(os.path.join(os.path.dirname(HERE), "ui", "flows", "ui_failing.py"))
    assert outcome.status == "FAILED"
    namespace(None)
    task = Task(f"UiFailingFlow/{outcome.run_id}/explode/0")
    (only,) = task.cards
    assert "the step failed: ValueError: the model diverged at epoch 7" in only.html
    assert "partial" in only.html


def test_card_view_prints_the_path(sfncompile_cmd):
    outcome, _ = run_flow(CARD_FLOW)
    out = subprocess.run(sfncompile_cmd + ["card", "view", f"CardFlow/{outcome.run_id}/report/0", "--id", "extra"],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    path = out.stdout.strip()
    assert path.endswith(os.path.join("report", "0", "0", "cards", "extra.html"))
    assert "the extra card" in open(path).read()
    missing = subprocess.run(sfncompile_cmd + ["card", "view", f"CardFlow/{outcome.run_id}/end/0"],
                             capture_output=True, text=True, timeout=60)
    assert missing.returncode == 1
    assert f"task CardFlow/{outcome.run_id}/end/0 has no card" in missing.stderr
    assert "Traceback" not in missing.stderr


def test_a_resumed_run_has_its_graph_even_when_start_is_reused():
    from sfncompile import Run, namespace

    path = os.path.join(os.path.dirname(HERE), "ui", "flows", "ui_failing.py")
    first, _ = run_flow(path)
    assert first.status == "FAILED"
    resumed, printed = run_flow(path, origin_run_id=first.run_id, resume=True)
    namespace(None)
    assert Run(f"UiFailingFlow/{resumed.run_id}")["start"].task.origin_pathspec  # start was reused, not run
    graph = Run(f"UiFailingFlow/{resumed.run_id}").graph
    assert graph is not None and list(graph.steps) == ["start", "explode", "end"]


def test_refresh_stores_the_cards_so_far_while_the_step_runs():
    from sfncompile import Task, namespace

    outcome, printed = run_flow(os.path.join(HERE, "flows", "card_refresh_flow.py"))
    assert outcome.status == "SUCCEEDED", printed
    namespace(None)
    start = Task(f"CardRefreshFlow/{outcome.run_id}/start/0")
    assert start.data.first is True and start.data.second is False  # at most one refresh a second
    assert "epoch one" in start.data.seen_first and "in progress" in start.data.seen_first
    assert "epoch two" not in start.data.seen_second  # the skipped refresh stored nothing
    final = start.cards[0].html  # replaced by the final card when the step ended
    assert "epoch one" in final and "epoch two" in final and "in progress" not in final
    assert Task(f"CardRefreshFlow/{outcome.run_id}/end/0").data.plain is False


def test_refresh_is_rate_limited_to_once_a_second(monkeypatch):
    from sfncompile.cards import collection

    clock = [100.0]
    monkeypatch.setattr(collection.time, "monotonic", lambda: clock[0])
    cards = collection.CardCollection([{"id": None, "type": "blank"}], step="s")
    calls = []
    cards.set_refresher(lambda: calls.append(len(cards["default"])))
    cards.append(Markdown("a"))
    assert cards.refresh() is True
    clock[0] += 0.5
    assert cards["default"].refresh() is False
    clock[0] += 0.6
    assert cards["default"].refresh() is True
    assert calls == [1, 1]
