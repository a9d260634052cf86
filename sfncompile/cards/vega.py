"""Draw a Vega-Lite spec as inline SVG, with no JavaScript and no network.

Cards must work offline, and the Vega runtime is a large script we would have to
inline into every card. Reports mostly need the simple charts, so this draws the
common subset: one layer of ``bar``, ``line``, ``point`` or ``area`` marks over
inline ``data.values`` with ``x``/``y`` encodings (quantitative, nominal,
ordinal or temporal as category), an optional ``color`` field and ``title``.
Anything else is reported in the chart's place (the spec is still shown).
"""
from __future__ import annotations

import html
import math
from typing import Any, Dict, List, Sequence, Tuple

from .theme import PALETTE

WIDTH, HEIGHT = 480, 260
MARGIN_L, MARGIN_R, MARGIN_T, MARGIN_B = 56, 16, 28, 48
SERIES = ("#0969da", "#bc4c00", "#1a7f37", "#8250df", "#cf222e", "#4d2d00")


class UnsupportedSpec(ValueError):
    pass


def _mark(spec: Dict[str, Any]) -> str:
    mark = spec.get("mark")
    if isinstance(mark, dict):
        mark = mark.get("type")
    if mark not in ("bar", "line", "point", "area", "circle"):
        raise UnsupportedSpec(f"mark {mark!r} (drawn offline: bar, line, point, area)")
    return "point" if mark == "circle" else str(mark)


def _field(spec: Dict[str, Any], channel: str) -> Tuple[str, str]:
    enc = (spec.get("encoding") or {}).get(channel)
    if not isinstance(enc, dict) or "field" not in enc:
        raise UnsupportedSpec(f"encoding.{channel} needs a field")
    return str(enc["field"]), str(enc.get("type", "quantitative"))


def _nice_ticks(lo: float, hi: float, n: int = 5) -> List[float]:
    if hi == lo:
        hi = lo + 1
    raw = (hi - lo) / n
    mag = 10 ** math.floor(math.log10(raw))
    step = min((m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw), default=raw)
    start = (lo // step) * step
    ticks = []
    t = start
    while t <= hi + step * 0.001:
        ticks.append(round(t, 10))
        t += step
    return ticks


def _fmt(v: float) -> str:
    return f"{v:g}"


def render_vega_svg(spec: Dict[str, Any]) -> str:
    """The chart as an ``<svg>`` element, or a note saying which part of the spec is not drawn offline."""
    try:
        return _render(spec)
    except (UnsupportedSpec, TypeError, ValueError) as exc:
        return f'<p class="muted">This chart is not drawn offline: {html.escape(str(exc))}.</p>'


def _render(spec: Dict[str, Any]) -> str:
    if "layer" in spec or "hconcat" in spec or "vconcat" in spec or "facet" in spec:
        raise UnsupportedSpec("layered or composed charts")
    values = (spec.get("data") or {}).get("values")
    if not isinstance(values, list) or not values:
        raise UnsupportedSpec("data must be inline data.values")
    mark = _mark(spec)
    xf, xt = _field(spec, "x")
    yf, yt = _field(spec, "y")
    if yt != "quantitative":
        raise UnsupportedSpec("y must be quantitative")
    colour = (spec.get("encoding") or {}).get("color")
    cf = colour.get("field") if isinstance(colour, dict) else None
    rows = [r for r in values if isinstance(r, dict) and r.get(yf) is not None and r.get(xf) is not None]
    ys = [float(r[yf]) for r in rows]
    categorical = xt != "quantitative"
    if categorical:
        cats: List[Any] = []
        for r in rows:
            if r[xf] not in cats:
                cats.append(r[xf])
    else:
        xs = [float(r[xf]) for r in rows]
    series: List[Any] = []
    for r in rows:
        key = r.get(cf) if cf else None
        if key not in series:
            series.append(key)
    plot_w, plot_h = WIDTH - MARGIN_L - MARGIN_R, HEIGHT - MARGIN_T - MARGIN_B
    y_lo = min(0.0, min(ys)) if mark in ("bar", "area") else min(ys)
    y_hi = max(ys)
    yticks = _nice_ticks(y_lo, y_hi)
    y_lo, y_hi = min(yticks[0], y_lo), max(yticks[-1], y_hi)

    def sy(v: float) -> float:
        return MARGIN_T + plot_h - (v - y_lo) / ((y_hi - y_lo) or 1) * plot_h

    if categorical:
        band = plot_w / len(cats)

        def sx(v: Any) -> float:
            return MARGIN_L + band * (cats.index(v) + 0.5)
    else:
        x_lo, x_hi = min(xs), max(xs)
        xticks = _nice_ticks(x_lo, x_hi)
        x_lo, x_hi = min(xticks[0], x_lo), max(xticks[-1], x_hi)

        def sx(v: Any) -> float:
            return MARGIN_L + (float(v) - x_lo) / ((x_hi - x_lo) or 1) * plot_w

    text = PALETTE["text"]
    muted = PALETTE["muted"]
    title = spec.get("title")
    title = title.get("text") if isinstance(title, dict) else title
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="{WIDTH}" '
           f'height="{HEIGHT}" role="img" aria-label="{html.escape(str(title or f"{yf} by {xf}"))}" '
           f'font-family="sans-serif" font-size="11">']
    if title:
        out.append(f'<text x="{WIDTH / 2}" y="16" text-anchor="middle" font-size="13" fill="{text}">'
                   f"{html.escape(str(title))}</text>")
    for t in yticks:
        y = sy(t)
        out.append(f'<line x1="{MARGIN_L}" x2="{WIDTH - MARGIN_R}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d0d7de"/>')
        out.append(f'<text x="{MARGIN_L - 6}" y="{y + 4:.1f}" text-anchor="end" fill="{muted}">{_fmt(t)}</text>')
    labels: Sequence[Any] = cats if categorical else xticks
    for v in labels:
        x = sx(v)
        out.append(f'<text x="{x:.1f}" y="{HEIGHT - MARGIN_B + 16}" text-anchor="middle" fill="{muted}">'
                   f"{html.escape(str(v if categorical else _fmt(v)))[:14]}</text>")
    out.append(f'<text x="{MARGIN_L + plot_w / 2}" y="{HEIGHT - 8}" text-anchor="middle" fill="{text}">'
               f"{html.escape(xf)}</text>")
    out.append(f'<text transform="translate(14 {MARGIN_T + plot_h / 2}) rotate(-90)" text-anchor="middle" '
               f'fill="{text}">{html.escape(yf)}</text>')
    for si, key in enumerate(series):
        colour_hex = SERIES[si % len(SERIES)]
        pts = [(sx(r[xf]), sy(float(r[yf]))) for r in rows if (r.get(cf) if cf else None) == key]
        if mark == "bar":
            width = (plot_w / len(cats) if categorical else plot_w / max(len(rows), 1)) * 0.8 / len(series)
            for x, y in pts:
                left = x - width * len(series) / 2 + width * si
                base = sy(max(y_lo, 0.0))
                out.append(f'<rect x="{left:.1f}" y="{min(y, base):.1f}" width="{width:.1f}" '
                           f'height="{abs(base - y):.1f}" fill="{colour_hex}"/>')
        else:
            if not categorical:
                pts.sort()
            path = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            if mark == "area" and pts:
                base = sy(max(y_lo, 0.0))
                out.append(f'<polygon points="{pts[0][0]:.1f},{base:.1f} {path} {pts[-1][0]:.1f},{base:.1f}" '
                           f'fill="{colour_hex}" fill-opacity="0.35" stroke="{colour_hex}"/>')
            elif mark == "line":
                out.append(f'<polyline points="{path}" fill="none" stroke="{colour_hex}" stroke-width="2"/>')
            else:
                out.extend(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{colour_hex}"/>' for x, y in pts)
        if cf:
            ly = MARGIN_T + 12 * si
            out.append(f'<rect x="{WIDTH - MARGIN_R - 90}" y="{ly - 8}" width="8" height="8" fill="{colour_hex}"/>'
                       f'<text x="{WIDTH - MARGIN_R - 78}" y="{ly}" fill="{text}">{html.escape(str(key))[:12]}</text>')
    out.append("</svg>")
    return "".join(out)
