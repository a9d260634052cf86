"""Artifacts as the runtime and the client see them: lazy sources over the ArtifactStore.

``ArtifactIO`` binds an ``ArtifactStore`` to one flow (and caches committed attempt
records: they never change once written). ``IndexSource`` is what FlowSpec's
``_sfn_attach`` takes: the artifacts of one committed attempt (name → index entry
``{"sha", "size", "type"}``), whose values load on first use only.

This module stays light (the client imports it): no cloudpickle, no runtime.
"""
from __future__ import annotations

import sys
from collections import OrderedDict
from typing import Any, Dict, Iterable, List, Mapping, Optional, Tuple

_ATTEMPT_CACHE: "OrderedDict[Tuple, Dict[str, Any]]" = OrderedDict()
_ATTEMPT_CACHE_SIZE = 4096


class ArtifactIO:
    """One flow's artifacts, logs and manifests on an ArtifactStore."""

    def __init__(self, store: Any, flow: str, metadata: Any = None) -> None:
        self.store = store
        self.flow = flow
        self.metadata = metadata
        self._url = getattr(getattr(store, "objects", None), "url", None) or str(id(store))

    # values --------------------------------------------------------------------------
    def save(self, value: Any, attribute: str = "value") -> Dict[str, Any]:
        """Store one value (content-addressed); returns its index entry. ArtifactError if unpicklable."""
        return dict(self.store.save_artifact(self.flow, attribute, value))

    def load(self, entry: Mapping[str, Any], name: Optional[str] = None) -> Any:
        """A value, its sha256 checked (IntegrityError if the blob is corrupted)."""
        return self.store.load_value(self.flow, entry["sha"], name=name)

    def missing(self, entries: Mapping[str, Mapping[str, Any]]) -> List[str]:
        """Names of the artifacts whose stored value (blob) is not there: an index that cannot be read back."""
        return [name for name, entry in entries.items()
                if isinstance(entry, Mapping) and entry.get("sha") and not self.store.has_blob(self.flow, entry["sha"])]

    # attempts ------------------------------------------------------------------------
    def attempt(self, run_id: str, step: str, task_id: str, attempt: int) -> Optional[Dict[str, Any]]:
        """The committed record of an attempt (cached), or None if it was never committed."""
        key = (self._url, self.flow, run_id, step, str(task_id), int(attempt))
        doc = _ATTEMPT_CACHE.get(key)
        if doc is not None:
            _ATTEMPT_CACHE.move_to_end(key)
            return doc
        doc = self.store.load_attempt(self.flow, run_id, step, str(task_id), int(attempt))
        if doc is not None:
            _ATTEMPT_CACHE[key] = doc
            if len(_ATTEMPT_CACHE) > _ATTEMPT_CACHE_SIZE:
                _ATTEMPT_CACHE.popitem(last=False)
        return doc

    def commit(self, run_id: str, step: str, task_id: str, attempt: int, entries: Mapping[str, Mapping[str, Any]],
               extra: Optional[Mapping[str, Any]] = None) -> None:
        self.store.commit_attempt(self.flow, run_id, step, str(task_id), int(attempt), entries, extra)

    # logs / manifests ------------------------------------------------------------------
    def put_logs(self, run_id: str, step: str, task_id: str, attempt: int, stdout: str, stderr: str) -> None:
        for stream, text in (("stdout", stdout), ("stderr", stderr)):
            if text:
                self.put_log(run_id, step, task_id, attempt, stream, text)

    def put_log(self, run_id: str, step: str, task_id: str, attempt: int, stream: str, text: str) -> None:
        self.store.put_log(self.flow, run_id, step, str(task_id), int(attempt), stream,
                           text.encode("utf-8", "replace"))

    def get_log(self, run_id: str, step: str, task_id: str, attempt: int, stream: str) -> str:
        data = self.store.get_log(self.flow, run_id, step, str(task_id), int(attempt), stream)
        return data.decode("utf-8", "replace") if data else ""

    # cards ---------------------------------------------------------------------------
    def put_card(self, run_id: str, step: str, task_id: str, attempt: int, card_id: str, html: str,
                 live_seq: Optional[int] = None) -> None:
        self.store.put_card(self.flow, run_id, step, str(task_id), int(attempt), card_id, html.encode("utf-8"),
                            live_seq=live_seq)

    def get_card(self, run_id: str, step: str, task_id: str, attempt: int, card_id: str) -> Optional[str]:
        data = self.store.get_card(self.flow, run_id, step, str(task_id), int(attempt), card_id)
        return data.decode("utf-8", "replace") if data is not None else None

    def list_cards(self, run_id: str, step: str, task_id: str, attempt: int) -> List[str]:
        return self.store.list_cards(self.flow, run_id, step, str(task_id), int(attempt))

    def put_manifest(self, run_id: str, step: str, task_id: str, cardinality: int) -> None:
        self.store.put_foreach_manifest(self.flow, run_id, step, str(task_id), int(cardinality))


class IndexSource:
    """The artifacts of one committed attempt, loaded lazily (what ``FlowSpec._sfn_attach`` takes)."""

    def __init__(self, aio: ArtifactIO, entries: Mapping[str, Mapping[str, Any]], label: str = "") -> None:
        self.aio = aio
        self.entries: Dict[str, Mapping[str, Any]] = {k: v for k, v in entries.items() if not k.startswith("_")}
        self.label = label
        self._values: Dict[str, Any] = {}

    def names(self) -> Iterable[str]:
        return self.entries.keys()

    def sha(self, name: str) -> str:
        return self.entries[name]["sha"]

    def load(self, name: str) -> Any:
        # Cached for the task: reading self.x twice loads it once (and in-place changes stay visible).
        if name not in self._values:
            self._values[name] = self.aio.load(self.entries[name], name=name)
        return self._values[name]

    def prime(self, name: str, value: Any) -> None:
        """A value already in memory (parameters in the start task)."""
        self._values[name] = value

    def restricted(self, names: Iterable[str]) -> "IndexSource":
        """A source exposing only ``names`` (a join inherits only the parameters)."""
        keep = set(names)
        out = IndexSource(self.aio, {k: v for k, v in self.entries.items() if k in keep}, self.label)
        out._values = {k: v for k, v in self._values.items() if k in keep}
        return out

    def __repr__(self) -> str:
        return f"IndexSource({self.label}: {', '.join(self.entries)})"


def pickle_flow_module_by_value(flow_cls: type) -> None:
    """Pickle classes/functions defined in the flow file by value, so a client can read them without the file."""
    module = sys.modules.get(getattr(flow_cls, "__module__", ""))
    if module is None or module.__name__ in ("__main__", "builtins"):
        return
    try:
        import cloudpickle

        cloudpickle.register_pickle_by_value(module)
    except Exception:  # pragma: no cover - older cloudpickle or a package module
        pass
