"""Card components: what ``current.card.append(...)`` takes.

Each component renders itself to an HTML fragment with no external resource
(images are ``data:`` URIs, charts are inline SVG), so a card is one file that
works offline. Rendering happens after the step, in the task; a component that
cannot render shows its error in place instead of failing the task.
"""
from __future__ import annotations

import base64
import html
import io
import json
import pprint
import reprlib
from typing import Any, Iterable, List, Optional, Sequence


MAX_REPR_CHARS = 2000
MAX_TABLE_ROWS = 200


class CardComponent:
    """Base class: ``render()`` returns an HTML fragment."""

    def render(self) -> str:
        raise TypeError(f"{type(self).__name__} must define render()")

    def safe_render(self) -> str:
        """``render()``, or a visible error box when it fails (a card never fails the task)."""
        try:
            return self.render()
        except Exception as exc:  # noqa: BLE001 - any user value may break its own repr
            return error_box(f"{type(self).__name__} could not render: {type(exc).__name__}: {exc}")


def error_box(message: str) -> str:
    return f'<div class="card-error" role="alert">{html.escape(message)}</div>'


def render_value(value: Any) -> str:
    """A table cell or list item: a component renders itself, anything else is escaped text."""
    if isinstance(value, CardComponent):
        return value.safe_render()
    return html.escape(value if isinstance(value, str) else short_repr(value, 200))


def short_repr(value: Any, limit: int = MAX_REPR_CHARS) -> str:
    """``repr`` of a value, pretty for containers, cut at ``limit`` characters."""
    try:
        text = pprint.pformat(value, width=100, compact=True, sort_dicts=False)
    except Exception:  # noqa: BLE001
        text = reprlib.repr(value)
    if len(text) > limit:
        text = text[:limit] + f"... ({len(text) - limit} more characters)"
    return text


class Markdown(CardComponent):
    """Text written in Markdown."""

    def __init__(self, text: str) -> None:
        self.text = text

    def render(self) -> str:
        from .markdown import to_html  # its patterns compile on import: only for a card that renders Markdown

        return f'<div class="md">{to_html(self.text)}</div>'


class Table(CardComponent):
    """Rows of cells (strings, numbers or components), with optional headers."""

    def __init__(self, data: Optional[Sequence[Sequence[Any]]] = None, headers: Optional[Sequence[str]] = None,
                 caption: Optional[str] = None) -> None:
        self.data: List[List[Any]] = [list(row) for row in (data or [])]
        self.headers = list(headers) if headers is not None else None
        self.caption = caption
        self.total_rows: Optional[int] = None

    @classmethod
    def from_dataframe(cls, df: Any, max_rows: int = MAX_TABLE_ROWS, caption: Optional[str] = None) -> "Table":
        """A pandas DataFrame's first ``max_rows`` rows, with its index and column names."""
        head = df.head(max_rows)
        index_name = head.index.name or ""
        headers = [str(index_name)] + [str(c) for c in head.columns]
        rows = [[idx, *row] for idx, row in zip(head.index.tolist(), head.itertuples(index=False, name=None))]
        table = cls(rows, headers=headers, caption=caption)
        table.total_rows = int(len(df))
        return table

    def render(self) -> str:
        parts = ['<div class="table-wrap"><table>']
        if self.caption:
            parts.append(f"<caption>{html.escape(self.caption)}</caption>")
        if self.headers is not None:
            parts.append("<thead><tr>" + "".join(f'<th scope="col">{html.escape(str(h))}</th>' for h in self.headers)
                         + "</tr></thead>")
        parts.append("<tbody>")
        for row in self.data[:MAX_TABLE_ROWS]:
            parts.append("<tr>" + "".join(f"<td>{render_value(c)}</td>" for c in row) + "</tr>")
        parts.append("</tbody></table></div>")
        shown = min(len(self.data), MAX_TABLE_ROWS)
        total = self.total_rows if self.total_rows is not None else len(self.data)
        if total > shown:
            parts.append(f'<p class="muted">{shown} of {total} rows shown</p>')
        return "".join(parts)


_IMAGE_MAGIC = (
    (b"\x89PNG\r\n\x1a\n", "image/png"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"GIF87a", "image/gif"),
    (b"GIF89a", "image/gif"),
    (b"RIFF", "image/webp"),
)


def image_type(data: bytes) -> Optional[str]:
    """The MIME type of image bytes, from their first bytes (None if not an image we show)."""
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            if mime == "image/webp" and data[8:12] != b"WEBP":
                continue
            return mime
    head = data[:256].lstrip()
    if head.startswith(b"<svg") or (head.startswith(b"<?xml") and b"<svg" in data[:1024]):
        return "image/svg+xml"
    return None


def image_bytes(src: Any) -> bytes:
    """Bytes of an image given as bytes, a PIL image or a matplotlib figure (PNG for the last two)."""
    if isinstance(src, (bytes, bytearray, memoryview)):
        return bytes(src)
    if hasattr(src, "savefig"):  # matplotlib Figure
        buf = io.BytesIO()
        src.savefig(buf, format="png", bbox_inches="tight")
        return buf.getvalue()
    if hasattr(src, "save") and hasattr(src, "mode"):  # PIL.Image.Image
        buf = io.BytesIO()
        src.save(buf, format="PNG")
        return buf.getvalue()
    raise TypeError(f"Image takes bytes, a PIL image or a matplotlib figure, not {type(src).__name__}")


class Image(CardComponent):
    """An image: PNG/JPEG/GIF/WebP/SVG bytes, a PIL image or a matplotlib figure (embedded, no link)."""

    def __init__(self, src: Any, label: Optional[str] = None) -> None:
        self.data = image_bytes(src)
        self.label = label
        mime = image_type(self.data)
        if mime is None:
            raise ValueError("Image bytes are not PNG, JPEG, GIF, WebP or SVG")
        self.mime = mime

    @classmethod
    def from_pil_image(cls, image: Any, label: Optional[str] = None) -> "Image":
        return cls(image, label)

    @classmethod
    def from_matplotlib(cls, figure: Any, label: Optional[str] = None) -> "Image":
        return cls(figure, label)

    def render(self) -> str:
        uri = f"data:{self.mime};base64,{base64.b64encode(self.data).decode()}"
        alt = html.escape(self.label or "image")
        caption = f"<figcaption>{html.escape(self.label)}</figcaption>" if self.label else ""
        return f'<figure><img src="{uri}" alt="{alt}">{caption}</figure>'


class Artifact(CardComponent):
    """A readable view of any value: its type and a pretty, truncated ``repr`` (a table for a DataFrame)."""

    def __init__(self, value: Any, name: Optional[str] = None) -> None:
        self.value = value
        self.name = name

    def render(self) -> str:
        value = self.value
        title = f"<strong>{html.escape(self.name)}</strong> " if self.name else ""
        kind = f'<span class="muted">{html.escape(type(value).__module__ + "." + type(value).__qualname__)}</span>'
        if _is_dataframe(value):
            body = Table.from_dataframe(value, max_rows=20).render()
        else:
            body = f"<pre>{html.escape(short_repr(value))}</pre>"
        return f'<div class="artifact">{title}{kind}{body}</div>'


def _is_dataframe(value: Any) -> bool:
    cls = type(value)
    return cls.__name__ == "DataFrame" and cls.__module__.split(".")[0] == "pandas"


class ProgressBar(CardComponent):
    """A progress bar; ``update(value)`` moves it (the card shows the value at the end of the step)."""

    def __init__(self, max: float = 100, label: Optional[str] = None, value: float = 0) -> None:
        if max <= 0:
            raise ValueError("ProgressBar(max=...) must be positive")
        self.max = max
        self.label = label
        self.value = value

    def update(self, value: float) -> None:
        self.value = value

    def render(self) -> str:
        pct = max(0.0, min(100.0, 100.0 * float(self.value) / float(self.max)))
        label = html.escape(self.label or "progress")
        return (f'<div class="progress"><label>{label} <progress max="{self.max}" value="{self.value}" '
                f'aria-label="{label}">{pct:.0f}%</progress> {self.value:g} / {self.max:g}</label></div>')


class VegaChart(CardComponent):
    """A Vega-Lite spec, drawn offline as SVG (bar, line, point, area marks with inline data)."""

    def __init__(self, spec: Any) -> None:
        if hasattr(spec, "to_dict"):  # an Altair chart
            spec = spec.to_dict()
        if not isinstance(spec, dict):
            raise TypeError(f"VegaChart takes a Vega-Lite spec (a dict), not {type(spec).__name__}")
        self.spec = spec

    def render(self) -> str:
        from .vega import render_vega_svg

        svg = render_vega_svg(self.spec)
        spec = html.escape(json.dumps(self.spec, indent=1, default=str)[:20000])
        return f'<div class="chart">{svg}<details><summary>Vega-Lite spec</summary><pre>{spec}</pre></details></div>'


def components_html(components: Iterable[CardComponent]) -> str:
    return "\n".join(f'<section class="component">{c.safe_render()}</section>' for c in components)

