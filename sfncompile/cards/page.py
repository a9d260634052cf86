"""A card as one self-contained HTML document (inline CSS, images as data URIs, no script, no CDN)."""
from __future__ import annotations

import html
from typing import Any, Iterable, Mapping, Optional, Sequence, Tuple

from .components import Artifact, CardComponent, Markdown, Table, components_html, error_box
from .theme import FONT, MONO, css_variables

CARD_CSS = css_variables() + f"""
body{{margin:0;background:var(--background);color:var(--text);font:14px/1.5 {FONT}}}
main{{max-width:1000px;margin:0 auto;padding:16px 24px}}
header.card-head{{border-bottom:1px solid var(--border);margin-bottom:12px}}
header.card-head h1{{font-size:18px;margin:8px 0 2px}}
.muted{{color:var(--muted)}}
a{{color:var(--link)}}
pre,code{{font-family:{MONO};background:var(--code-bg);border-radius:4px}}
pre{{padding:8px;overflow:auto;white-space:pre-wrap;word-break:break-word}}
code{{padding:0 3px}}
pre code{{padding:0}}
table{{border-collapse:collapse;margin:6px 0}}
.table-wrap{{overflow:auto}}
th,td{{border:1px solid var(--border);padding:4px 8px;text-align:left;vertical-align:top}}
th{{background:var(--surface)}}
figure{{margin:8px 0}} img{{max-width:100%;height:auto}}
figcaption{{color:var(--muted);font-size:12px}}
section.component{{margin:12px 0}}
.card-error{{border:1px solid var(--stroke-failed);background:var(--fill-failed);color:var(--status-failed);padding:8px;border-radius:4px}}
blockquote{{border-left:3px solid var(--border);margin:0;padding-left:12px;color:var(--muted)}}
progress{{vertical-align:middle;width:240px}}
"""


def render_card(
    components: Iterable[CardComponent],
    *,
    title: str,
    subtitle: str = "",
    error: Optional[str] = None,
) -> str:
    """The HTML document of one card."""
    body = components_html(components)
    if error:
        body = error_box(error) + body
    sub = f'<p class="muted">{html.escape(subtitle)}</p>' if subtitle else ""
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title><style>{CARD_CSS}</style></head>"
        f'<body><main><header class="card-head"><h1>{html.escape(title)}</h1>{sub}</header>'
        f"{body}</main></body></html>\n"
    )


def size_text(n: Optional[float]) -> str:
    """Bytes for people: ``532 B``, ``12.4 KiB``, ``3.1 MiB`` ("" when unknown)."""
    if n is None:
        return ""
    value = float(n)
    for unit in ("B", "KiB", "MiB"):
        if value < 1024:
            return f"{int(value)} B" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GiB"


def default_components(
    artifacts: Sequence[Tuple[str, Mapping[str, Any], Any]],
    *,
    missing: Any = None,
) -> list:
    """The default card: a table of the task's artifacts (name, type, size, a short view of
    values the step set; inherited values are not loaded, ``missing`` marks them)."""
    if not artifacts:
        return [Markdown("This task has no artifacts.")]
    rows = []
    for name, entry, value in artifacts:
        view: Any = "(inherited, not loaded)" if value is missing else Artifact(value)
        rows.append([name, entry.get("type") or "", size_text(entry.get("size")), view])
    return [Markdown(f"**{len(artifacts)} artifact{'s' if len(artifacts) != 1 else ''}**"),
            Table(rows, headers=["name", "type", "size", "value"])]


__all__ = ["render_card", "default_components", "size_text", "CARD_CSS"]
