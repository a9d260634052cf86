"""Exception names as Metaflow users import them (``from sfncompile.exception import ...``).

sfncompile's own error classes live in :mod:`sfncompile.exceptions`.
"""
from __future__ import annotations

from .exceptions import TimeoutException

__all__ = ["TimeoutException"]
