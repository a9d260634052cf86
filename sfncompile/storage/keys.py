"""Every key of the storage layout, built in one place (docs/internals.md "Storage layout").

Keys are '/'-separated and relative to the datastore root (a directory or s3://bucket/prefix).
"""
from __future__ import annotations

MARKER = "artifacts.json"
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


def marker_key(flow: str, run_id: str, step: str, task_id: str, attempt: int) -> str:
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
