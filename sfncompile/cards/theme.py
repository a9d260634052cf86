"""One palette for cards, graph pictures and the UI, so contrast is checked in one place.

Every text colour is used on ``background`` or ``surface``; tests compute the WCAG
contrast ratio of each pair (4.5:1 at least for body text).
"""
from __future__ import annotations

from typing import Dict

PALETTE: Dict[str, str] = {
    "background": "#ffffff",
    "surface": "#f4f6f8",
    "border": "#c9d1d9",
    "text": "#1f2328",
    "muted": "#57606a",
    "link": "#0550ae",
    "accent": "#0969da",
    "code_bg": "#eff2f5",
}

# Status colours: the text colour of a status label and the fill of a graph node.
STATUS_TEXT: Dict[str, str] = {
    "SUCCEEDED": "#116329",
    "FAILED": "#a40e26",
    "RUNNING": "#7d4e00",
    "PENDING": "#57606a",
}
STATUS_FILL: Dict[str, str] = {
    "SUCCEEDED": "#dafbe1",
    "FAILED": "#ffebe9",
    "RUNNING": "#fff8c5",
    "PENDING": "#f4f6f8",
}
STATUS_STROKE: Dict[str, str] = {
    "SUCCEEDED": "#1a7f37",
    "FAILED": "#cf222e",
    "RUNNING": "#9a6700",
    "PENDING": "#8c959f",
}

FONT = "-apple-system, BlinkMacSystemFont, 'Segoe UI', Helvetica, Arial, sans-serif"
MONO = "ui-monospace, SFMono-Regular, Menlo, Consolas, monospace"


def relative_luminance(hex_colour: str) -> float:
    """WCAG 2.x relative luminance of an sRGB colour like ``#1f2328``."""
    value = hex_colour.lstrip("#")
    channels = [int(value[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast_ratio(foreground: str, background: str) -> float:
    """WCAG contrast ratio (1..21) between two colours."""
    a, b = relative_luminance(foreground), relative_luminance(background)
    hi, lo = max(a, b), min(a, b)
    return (hi + 0.05) / (lo + 0.05)


def css_variables() -> str:
    """The palette as CSS custom properties (``--text``, ``--status-failed``...)."""
    lines = [f"--{k.replace('_', '-')}: {v};" for k, v in PALETTE.items()]
    for table, prefix in ((STATUS_TEXT, "status"), (STATUS_FILL, "fill"), (STATUS_STROKE, "stroke")):
        lines += [f"--{prefix}-{k.lower()}: {v};" for k, v in table.items()]
    return ":root{" + "".join(lines) + "}"
