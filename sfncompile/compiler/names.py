"""Names Step Functions accepts: the state machine's and every state's.

State names are what users read in the console and the execution history, so they
are step names where possible, plus a readable suffix for helper states
(``train failed``, ``split cardinality``). Step names never contain a space and every
helper name does, so the two never collide. Names longer than Step Functions' 80
characters keep a readable head and get a short hash, so they stay unique and
deterministic.
"""
from __future__ import annotations

import hashlib
import re
from typing import Dict, Set

from ..exceptions import CompileError

MAX_NAME_LENGTH = 80
_HASH_LENGTH = 6

# AWS: names must not contain whitespace, brackets, wildcards, these special
# characters, or control characters.
_FORBIDDEN = re.compile(r"[\s<>{}\[\]?*\"#%\\^|~`$&,;:/\x00-\x1f\x7f-\x9f]")
# CloudWatch Logs (execution logging) needs names made of these only.
_LOGGABLE = re.compile(r"^[A-Za-z0-9_-]+$")


def shorten(text: str, limit: int) -> str:
    """``text`` if it fits in ``limit`` characters, else a readable head plus a hash of the whole."""
    if len(text) <= limit:
        return text
    digest = hashlib.sha1(text.encode("utf-8")).hexdigest()[:_HASH_LENGTH]
    return f"{text[: limit - _HASH_LENGTH - 1]}-{digest}"


def check_state_machine_name(name: str) -> None:
    """Raise CompileError unless ``name`` is a valid state machine name."""
    fix = "pass --name with 1-80 letters, digits, '-' or '_' (e.g. --name TrainFlow-prod)"
    if not name:
        raise CompileError("the state machine name is empty", fix=fix)
    if len(name) > MAX_NAME_LENGTH:
        raise CompileError(
            f"state machine name '{name}' has {len(name)} characters; Step Functions allows {MAX_NAME_LENGTH}",
            fix=fix,
        )
    bad = sorted(set(_FORBIDDEN.findall(name)))
    if bad:
        shown = ", ".join(repr(c) for c in bad)
        raise CompileError(f"state machine name '{name}' contains characters Step Functions rejects: {shown}", fix=fix)
    if not _LOGGABLE.match(name):
        raise CompileError(
            f"state machine name '{name}' has characters that CloudWatch execution logging rejects",
            fix=fix,
        )


class NameRegistry:
    """Hands out unique state names (≤ 80 characters) in a deterministic order."""

    def __init__(self) -> None:
        self._taken: Set[str] = set()
        self._memo: Dict[tuple, str] = {}

    def claim(self, stem: str, suffix: str = "") -> str:
        """A new unique name: ``stem`` (shortened if needed) followed by ``suffix``."""
        counter = 1
        while True:
            tail = suffix if counter == 1 else f"{suffix} {counter}"
            name = shorten(stem, MAX_NAME_LENGTH - len(tail)) + tail
            if name not in self._taken:
                self._taken.add(name)
                return name
            counter += 1

    def get(self, key: tuple, stem: str, suffix: str = "") -> str:
        """The name for ``key``, claimed on first use (so references can precede definitions)."""
        name = self._memo.get(key)
        if name is None:
            name = self._memo[key] = self.claim(stem, suffix)
        return name
