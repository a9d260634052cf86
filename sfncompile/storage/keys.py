"""Every key of the storage layout, built in one place (docs/internals.md "Storage layout").

Keys are '/'-separated and relative to the datastore root (a directory or s3://bucket/prefix).
"""
from __future__ import annotations

from typing import Optional

MARKER = "artifacts.json"  # an attempt's index in stores written before the index moved up (legacy_marker_key)
INDEX_SUFFIX = ".json"
FOREACH_MANIFEST = "foreach.json"


def blob_key(flow: str, sha: str) -> str:
    return f"{flow}/blobs/{sha[:2]}/{sha}"


def code_key(flow: str, sha: str) -> str:
    return f"{flow}/code/{sha}.tar.gz"


def task_prefix(flow: str, run_id: str, step: str, task_id: str) -> str:
    """The task's directory, with a trailing '/'."""
    return f"{flow}/runs/{run_id}/{step}/{task_id}/"


def attempt_prefix(flow: str, run_id: str, step: str, task_id: str, attempt: int) -> str:
    return f"{flow}/runs/{run_id}/{step}/{task_id}/{int(attempt)}/"


def step_prefix(flow: str, run_id: str, step: str) -> str:
    return f"{flow}/runs/{run_id}/{step}/"


def marker_key(flow: str, run_id: str, step: str, task_id: str, attempt: int) -> str:
    """An attempt's index (its commit marker): ``<step>/<task>.<attempt>.json``, one file beside the
    step's other tasks, so a task that writes no log or card creates no directory of its own."""
    return step_prefix(flow, run_id, step) + f"{task_id}.{int(attempt)}{INDEX_SUFFIX}"


def marker_attempt(name: str) -> Optional[int]:
    """The attempt number of an index file name relative to ``marker_key(...)`` minus ``<task>.``
    (``"2.json"`` -> 2); None for any other name (another task's index, a directory's files)."""
    number = name[:-len(INDEX_SUFFIX)] if name.endswith(INDEX_SUFFIX) else ""
    return int(number) if number.isdigit() else None


def legacy_marker_key(flow: str, run_id: str, step: str, task_id: str, attempt: int) -> str:
    """Where stores written before ``marker_key`` kept an attempt's index (still read, never written)."""
    return attempt_prefix(flow, run_id, step, task_id, attempt) + MARKER


def log_key(flow: str, run_id: str, step: str, task_id: str, attempt: int, stream: str) -> str:
    name = stream if stream.endswith(".log") else f"{stream}.log"
    if "/" in name:
        raise ValueError(f"log stream names cannot contain '/': {stream!r}")
    return attempt_prefix(flow, run_id, step, task_id, attempt) + name


CARDS_DIR = "cards"


def card_key(flow: str, run_id: str, step: str, task_id: str, attempt: int, card_id: str) -> str:
    """A task attempt's card: one self-contained HTML file per @card (id ``default`` when unnamed)."""
    if "/" in card_id or not card_id:
        raise ValueError(f"card ids cannot be empty or contain '/': {card_id!r}")
    return attempt_prefix(flow, run_id, step, task_id, attempt) + f"{CARDS_DIR}/{card_id}.html"


LIVE_CARDS_DIR = "live"


def live_card_key(flow: str, run_id: str, step: str, task_id: str, attempt: int, card_id: str, seq: int) -> str:
    """A card as ``current.card.refresh()`` stored it while the step ran: one write-once file per refresh."""
    final = card_key(flow, run_id, step, task_id, attempt, card_id)
    head, _, name = final.rpartition("/")
    return f"{head}/{LIVE_CARDS_DIR}/{name[:-len('.html')]}.{int(seq):06d}.html"


def foreach_key(flow: str, run_id: str, step: str, task_id: str) -> str:
    return task_prefix(flow, run_id, step, task_id) + FOREACH_MANIFEST


def run_prefix(flow: str, run_id: str) -> str:
    return f"{flow}/runs/{run_id}/"


def graph_key(flow: str, run_id: str) -> str:
    """The run's graph IR as JSON (written by its start task; lets readers draw the run)."""
    return run_prefix(flow, run_id) + "graph.json"


def env_lock_key(env_id: str) -> str:
    """An environment's lock (image target); shared by every flow that uses the same environment."""
    return f"envs/{env_id}/lock.txt"


def env_manifest_key(env_id: str) -> str:
    """The wheels an environment installs (JSON); written last, so its presence means complete."""
    return f"envs/{env_id}/wheels.json"


def wheel_key(sha: str, filename: str) -> str:
    """A wheel, content-addressed: uploaded once whatever environments list it."""
    return f"envs/wheels/{sha}/{filename}"
