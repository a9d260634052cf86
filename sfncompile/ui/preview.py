"""Safe previews of artifacts for the task page: type and size first, the value only when asked.

Values are unpickled only below ``PREVIEW_LIMIT`` bytes unless the user clicks to
load a larger one; what is shown is bounded (a truncated ``repr``, a DataFrame's
head, an image) so a huge value never reaches the page whole.
"""
from __future__ import annotations

import base64
import html
from typing import Any, Dict

from ..cards.components import Table, image_bytes, image_type, short_repr
from ..cards.page import size_text

PREVIEW_LIMIT = 8 * 2**20
DATAFRAME_ROWS = 10


def _image_html(data: bytes, mime: str, name: str) -> str:
    uri = f"data:{mime};base64,{base64.b64encode(data).decode()}"
    return f'<img class="preview-img" src="{uri}" alt="artifact {html.escape(name)}">'


def preview(artifact: Any, *, force: bool = False, limit: int = PREVIEW_LIMIT) -> Dict[str, Any]:
    """``{"name", "type", "size", "loaded", "html"}`` of one client DataArtifact."""
    out: Dict[str, Any] = {"name": artifact.name, "type": artifact.type or "", "size": artifact.size,
                           "size_text": size_text(artifact.size), "loaded": False, "html": ""}
    if artifact.size is not None and artifact.size > limit and not force:
        out["html"] = (f'<p class="muted">{size_text(artifact.size)}, larger than the '
                       f"{size_text(limit)} preview limit: not loaded.</p>")
        out["needs_click"] = True
        return out
    try:
        value = artifact.data
    except Exception as exc:  # noqa: BLE001 - a value from another environment may not load here
        out["html"] = f'<p class="error">cannot load: {html.escape(type(exc).__name__)}: {html.escape(str(exc))}</p>'
        return out
    out["loaded"] = True
    out["html"] = value_html(value, artifact.name)
    return out


def value_html(value: Any, name: str = "value") -> str:
    cls = type(value)
    if cls.__name__ == "DataFrame" and cls.__module__.split(".")[0] == "pandas":
        rows, cols = value.shape
        return (f'<p class="muted">DataFrame, {rows} rows x {cols} columns; first {min(rows, DATAFRAME_ROWS)}:</p>'
                + Table.from_dataframe(value, max_rows=DATAFRAME_ROWS).render())
    if isinstance(value, (bytes, bytearray)):
        mime = image_type(bytes(value[:2048]) if len(value) > 2048 else bytes(value))
        if mime:
            return _image_html(bytes(value), mime, name)
    if hasattr(value, "savefig") or (hasattr(value, "save") and hasattr(value, "mode")):
        try:
            return _image_html(image_bytes(value), "image/png", name)
        except Exception:  # noqa: BLE001 - fall back to its repr
            pass
    return f"<pre>{html.escape(short_repr(value))}</pre>"
