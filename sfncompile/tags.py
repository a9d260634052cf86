"""Run tags: the system tags every run gets, and the rules for tags users add.

As in Metaflow, a run carries *system tags* recorded when it is created
(``user:<name>``, ``runtime:<local|sfn>``, ``sfncompile_version:<v>``,
``python_version:<v>``, and for a @project flow ``project:<name>`` and
``project_branch:<branch>``) next to the *user tags* given with ``--tag`` or
``Run.add_tag``. Both live in the run record's ``tags`` list; a tag is a system
tag when it starts with one of ``SYSTEM_TAG_PREFIXES``, so users cannot add or
remove those.
"""
from __future__ import annotations

import platform
from typing import Iterable, List, Sequence, Tuple

from .exceptions import TaggingError

SYSTEM_TAG_PREFIXES: Tuple[str, ...] = (
    "user:", "runtime:", "sfncompile_version:", "python_version:", "project:", "project_branch:",
)
MAX_TAG_LENGTH = 512  # Metaflow's limit (bytes of UTF-8)

LOCAL_RUNTIME = "local"
SFN_RUNTIME = "sfn"


def is_system_tag(tag: str) -> bool:
    return tag.startswith(SYSTEM_TAG_PREFIXES)


def system_tags(username: str, runtime: str) -> List[str]:
    """The system tags of a run created now by ``username`` on ``runtime`` (local or sfn)."""
    from . import __version__

    return [
        f"user:{username}",
        f"runtime:{runtime}",
        f"sfncompile_version:{__version__}",
        f"python_version:{platform.python_version()}",
    ]


def check_user_tag(tag: object) -> str:
    """The tag if a user may add or remove it; else a TaggingError saying why."""
    if not isinstance(tag, str) or not tag.strip():
        raise TaggingError(f"tag {tag!r} is not a non-empty string", fix="pass a tag such as 'experiment-3'")
    if len(tag.encode("utf-8")) > MAX_TAG_LENGTH:
        raise TaggingError(f"tag {tag[:40]!r}... is longer than {MAX_TAG_LENGTH} bytes", fix="use a shorter tag")
    if is_system_tag(tag):
        raise TaggingError(
            f"tag {tag!r} starts with {tag.split(':', 1)[0]}:, which marks system tags",
            fix="system tags are set when a run is created; choose a tag without that prefix",
        )
    return tag


def run_tags(user_tags: Iterable[str], username: str, runtime: str, extra_system: Iterable[str] = ()) -> List[str]:
    """Tags to record on a new run: the checked user tags, then the system tags (``extra_system``: project tags)."""
    checked = [check_user_tag(t) for t in user_tags]
    return list(dict.fromkeys(checked + system_tags(username, runtime) + list(extra_system)))


def split_tags(tags: Sequence[str]) -> Tuple[List[str], List[str]]:
    """(user tags, system tags) of a run record's ``tags``."""
    return [t for t in tags if not is_system_tag(t)], [t for t in tags if is_system_tag(t)]
