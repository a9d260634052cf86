"""A small, safe Markdown to HTML converter for card text.

Cards must render inside a task with nothing but the core dependencies installed
(on Batch too), so this covers the Markdown people write in reports: headings,
paragraphs, emphasis, inline code, fenced code, lists, block quotes, rules and
links. Raw HTML is escaped, and links only keep http(s), mailto, relative and
fragment targets (no ``javascript:``).
"""
from __future__ import annotations

import html
import re
from typing import List

_SAFE_LINK = re.compile(r"^(https?:|mailto:|#|/|\./|\.\./|[\w.-]+(/|$))", re.IGNORECASE)
_INLINE_CODE = re.compile(r"`([^`]+)`")
_LINK = re.compile(r"\[([^\]]+)\]\(([^)\s]+)\)")
_BOLD = re.compile(r"\*\*(.+?)\*\*|__(.+?)__")
_EM = re.compile(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])|(?<![\w_])_(?!\s)(.+?)(?<!\s)_(?![\w_])")
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_BULLET = re.compile(r"^\s*[-*+]\s+(.*)$")
_NUMBERED = re.compile(r"^\s*\d+[.)]\s+(.*)$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


def _inline(text: str) -> str:
    """Escape, then apply inline markup; code spans are protected from the rest."""
    codes: List[str] = []

    def stash(match: "re.Match[str]") -> str:
        codes.append(f"<code>{html.escape(match.group(1))}</code>")
        return f"\x00{len(codes) - 1}\x00"

    out = _INLINE_CODE.sub(stash, text)
    out = html.escape(out, quote=False)

    def link(match: "re.Match[str]") -> str:
        label, target = match.group(1), html.unescape(match.group(2))
        if not _SAFE_LINK.match(target):
            return label
        return f'<a href="{html.escape(target)}">{label}</a>'

    out = _LINK.sub(link, out)
    out = _BOLD.sub(lambda m: f"<strong>{m.group(1) or m.group(2)}</strong>", out)
    out = _EM.sub(lambda m: f"<em>{m.group(1) or m.group(2)}</em>", out)
    return re.sub(r"\x00(\d+)\x00", lambda m: codes[int(m.group(1))], out)


def to_html(text: str) -> str:
    """Markdown text as an HTML fragment."""
    lines = str(text).replace("\r\n", "\n").split("\n")
    out: List[str] = []
    para: List[str] = []
    i = 0

    def flush() -> None:
        if para:
            out.append(f"<p>{_inline(' '.join(p.strip() for p in para))}</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.strip().startswith("```"):
            flush()
            lang = line.strip()[3:].strip()
            body: List[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                body.append(lines[i])
                i += 1
            cls = f' class="language-{html.escape(lang)}"' if lang else ""
            out.append(f"<pre><code{cls}>{html.escape(chr(10).join(body))}</code></pre>")
            i += 1
            continue
        if not line.strip():
            flush()
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading:
            flush()
            level = len(heading.group(1))
            out.append(f"<h{level}>{_inline(heading.group(2))}</h{level}>")
            i += 1
            continue
        if _RULE.match(line):
            flush()
            out.append("<hr>")
            i += 1
            continue
        for pattern, tag in ((_BULLET, "ul"), (_NUMBERED, "ol")):
            if pattern.match(line):
                flush()
                items = []
                while i < len(lines) and pattern.match(lines[i]):
                    items.append(f"<li>{_inline(pattern.match(lines[i]).group(1))}</li>")  # type: ignore[union-attr]
                    i += 1
                out.append(f"<{tag}>{''.join(items)}</{tag}>")
                break
        else:
            if line.lstrip().startswith(">"):
                flush()
                quoted = []
                while i < len(lines) and lines[i].lstrip().startswith(">"):
                    quoted.append(lines[i].lstrip()[1:].lstrip())
                    i += 1
                out.append(f"<blockquote>{to_html(chr(10).join(quoted))}</blockquote>")
                continue
            para.append(line)
            i += 1
    flush()
    return "\n".join(out)
