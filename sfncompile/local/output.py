"""What a local run prints: one line per task start/finish, retries, failures, a summary.

On a terminal, a foreach wider than ``WIDE`` items shows one live progress line
instead of two lines per item (failures are still printed in full).
"""
from __future__ import annotations

import os
import sys
import time
from typing import Dict, Optional, TextIO

WIDE = 16


def fmt_duration(seconds: float) -> str:
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes, secs = divmod(int(seconds), 60)
    if minutes < 120:
        return f"{minutes} min {secs} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes} min"


class Reporter:
    def __init__(self, out: Optional[TextIO] = None, *, quiet: bool = False, tty: Optional[bool] = None) -> None:
        self.out = out or sys.stdout
        self.quiet = quiet
        if tty is None:
            try:
                tty = self.out.isatty() and not plain_terminal()
            except Exception:
                tty = False
        self.tty = bool(tty)
        self.wide_steps: Dict[str, int] = {}  # step -> items expected (progress shown instead of lines)
        self.done: Dict[str, int] = {}
        self.running: Dict[str, int] = {}
        self.failed: Dict[str, int] = {}
        self._progress_shown = False
        self._last_draw = 0.0

    # ------------------------------------------------------------------ low level
    def _write(self, text: str) -> None:
        if self.quiet:
            return
        if self._progress_shown:
            text = "\r\x1b[K" + text
            self._progress_shown = False
        try:
            self.out.write(text)
            self.out.flush()
        except (OSError, ValueError):
            pass

    def line(self, text: str) -> None:
        self._write(text + "\n")
        self.draw_progress(force=True)

    @staticmethod
    def stamp() -> str:
        t = time.time()
        return time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d}"

    # ------------------------------------------------------------------ tasks
    def expect_wide(self, step: str, items: int) -> None:
        if self.tty and items > WIDE:
            self.wide_steps[step] = self.wide_steps.get(step, 0) + items

    def _is_wide(self, step: str) -> bool:
        return step in self.wide_steps

    def task_started(self, pathspec: str, step: str, attempt: int, cloned: bool = False) -> None:
        self.running[step] = self.running.get(step, 0) + 1
        if self.quiet:  # nothing is printed: no line is formatted either (one per task)
            return
        if self._is_wide(step):
            self.draw_progress()
            return
        extra = f" (attempt {attempt})" if attempt else ""  # 0-based, as `logs --attempt` and current.retry_count
        self.line(f"{self.stamp()} [{pathspec}] task started{extra}")

    def task_finished(self, pathspec: str, step: str, duration: float, note: str = "") -> None:
        self.running[step] = max(0, self.running.get(step, 0) - 1)
        self.done[step] = self.done.get(step, 0) + 1
        if self.quiet:
            return
        if self._is_wide(step):
            self.draw_progress()
            return
        note = f", {note}" if note else ""
        self.line(f"{self.stamp()} [{pathspec}] task finished ({fmt_duration(duration)}{note})")

    def task_cloned(self, pathspec: str, step: str, origin: str) -> None:
        self.done[step] = self.done.get(step, 0) + 1
        if self._is_wide(step):
            self.draw_progress()
            return
        self.line(f"{self.stamp()} [{pathspec}] reused from {origin}")

    def task_note(self, pathspec: str, step: str, note: str) -> None:
        """A line about a running task (where it runs, how long it has queued); folded into the progress
        line for a wide step."""
        if self._is_wide(step):
            self.draw_progress()
            return
        self.line(f"{self.stamp()} {note}")

    def attempt_failed(self, pathspec: str, step: str, attempt: int, error_line: str, retry_in: float) -> None:
        self.running[step] = max(0, self.running.get(step, 0) - 1)
        wait = f" in {fmt_duration(retry_in)}" if retry_in >= 0.05 else ""
        self.line(f"{self.stamp()} [{pathspec}] attempt {attempt} failed: {error_line}; retrying{wait}")

    def task_failed(self, pathspec: str, step: str, attempt: int, duration: float, traceback_text: str) -> None:
        self.running[step] = max(0, self.running.get(step, 0) - 1)
        self.failed[step] = self.failed.get(step, 0) + 1
        text = traceback_text.rstrip("\n") if traceback_text else "(no traceback)"
        body = "".join(f"[{pathspec}] {ln}\n" for ln in text.split("\n"))
        self._write(
            f"{self.stamp()} [{pathspec}] task FAILED (attempt {attempt}, {fmt_duration(duration)}):\n{body}"
        )

    # ------------------------------------------------------------------ progress
    def draw_progress(self, force: bool = False) -> None:
        if not self.tty or self.quiet or not self.wide_steps:
            return
        now = time.time()
        if not force and now - self._last_draw < 0.1:
            return
        parts = []
        for step, total in self.wide_steps.items():
            done = self.done.get(step, 0)
            if done >= total and not self.running.get(step):
                continue
            parts.append(f"{step}: {done}/{total} done, {self.running.get(step, 0)} running")
        if not parts:
            return
        self._last_draw = now
        try:
            self.out.write("\r\x1b[K" + "; ".join(parts))
            self.out.flush()
            self._progress_shown = True
        except (OSError, ValueError):
            pass

    def end_progress(self) -> None:
        if self._progress_shown:
            self._write("")

    # ------------------------------------------------------------------ summary
    def summary(self, flow: str, run_id: str, status: str, duration: float, tasks: int, failed: Optional[str],
                flow_file: str = "<flow file>", stored_in: str = "") -> None:
        self.end_progress()
        lines = [f"Run {flow}/{run_id} {status} in {fmt_duration(duration)} ({tasks} task{'s' if tasks != 1 else ''})."]
        if failed:
            lines.append(f"  failed: {failed}")
            lines.append(f"  logs:     sfncompile logs {failed} --stderr")
        if status != "SUCCEEDED":
            lines.append(f"  resume:   sfncompile resume {flow_file} --origin-run-id {run_id}")
        lines.append(f"  status:   sfncompile show {flow}/{run_id}")
        lines.append(f"  results:  python -c 'from sfncompile import Run; print(Run(\"{flow}/{run_id}\").data)'")
        if stored_in:
            lines.append(f"  stored:   {stored_in}")
        self._write("\n".join(lines) + "\n")


def plain_terminal() -> bool:
    """NO_COLOR (https://no-color.org) or TERM=dumb: no escape sequences, so no redrawn
    progress line either; output is plain lines as when piped to a file."""
    return bool(os.environ.get("NO_COLOR")) or os.environ.get("TERM") == "dumb"


def stdout_is_tty() -> bool:
    try:
        return os.isatty(sys.stdout.fileno())
    except Exception:
        return False
