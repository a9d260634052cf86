"""``Task(...).cards``: the HTML cards a task's ``@card`` steps rendered, read from its attempt's storage."""
from __future__ import annotations

import os
import tempfile
from typing import Any, List, Optional


class Card:
    """One rendered card: ``.id``, ``.html`` (read on first use), ``.path`` (a file you can open)."""

    def __init__(self, task: Any, card_id: str, attempt: int) -> None:
        self.task = task
        self.id = card_id
        self.attempt = attempt
        self._html: Optional[str] = None

    @property
    def pathspec(self) -> str:
        return f"{self.task.pathspec}/{self.id}"

    @property
    def html(self) -> str:
        if self._html is None:
            aio = self.task._backend.aio(self.task.flow_name)
            self._html = aio.get_card(self.task.run_id, self.task.step_name, self.task.id, self.attempt, self.id) or ""
        return self._html

    @property
    def path(self) -> str:
        """A local file holding the card: in place for a local store, else a copy in the temp directory."""
        store = self.task._backend.artifacts
        key = store.card_key(self.task.flow_name, self.task.run_id, self.task.step_name, self.task.id,
                             self.attempt, self.id)
        local = store.objects.local_path(key)
        if local and os.path.isfile(local):
            return local
        folder = os.path.join(tempfile.gettempdir(), "sfncompile-cards", *self.task.pathspec.split("/"),
                              str(self.attempt))
        os.makedirs(folder, exist_ok=True)
        path = os.path.join(folder, f"{self.id}.html")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(self.html)
        return path

    def _repr_html_(self) -> str:  # shown inline in notebooks
        return self.html

    def __repr__(self) -> str:
        return f"Card('{self.pathspec}', attempt={self.attempt})"


def card_attempt(task: Any) -> Optional[int]:
    """The attempt whose cards a task shows: its successful one, else its latest."""
    if task.successful_attempt is not None:
        return task.successful_attempt
    return task.current_attempt if task._record.get("attempt") is not None else None


def task_cards(task: Any) -> List[Card]:
    attempt = card_attempt(task)
    if attempt is None:
        return []
    ids = task._backend.aio(task.flow_name).list_cards(task.run_id, task.step_name, task.id, attempt)
    return [Card(task, i, attempt) for i in ids]
