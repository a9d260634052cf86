"""Capture a task's stdout/stderr: kept for the task's logs, and echoed with a pathspec prefix.

The echo goes to the process's original file descriptors line by line (one
``os.write`` per line, so lines of parallel workers do not interleave mid-line).
"""
from __future__ import annotations

import io
import os
import sys
import threading
from typing import List, Optional, Tuple


class TeeStream(io.TextIOBase):
    """A text stream that records everything written and echoes whole lines with a prefix."""

    def __init__(self, fd: Optional[int], prefix: str, *, clear_line: bool = False) -> None:
        super().__init__()
        self._fd = fd
        self._prefix = prefix
        self._clear = "\r\x1b[K" if clear_line else ""
        self._parts: List[str] = []
        self._pending = ""
        self._lock = threading.Lock()

    # io.TextIOBase API -------------------------------------------------------------
    def writable(self) -> bool:
        return True

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return "utf-8"

    @property
    def errors(self) -> str:  # type: ignore[override]
        return "replace"

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        # Code that needs a real descriptor (subprocess, faulthandler) writes to the terminal directly.
        if self._fd is None:
            raise io.UnsupportedOperation("captured stream has no file descriptor")
        return self._fd

    def write(self, text: str) -> int:  # type: ignore[override]
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        if not text:
            return 0
        with self._lock:
            self._parts.append(text)
            if self._fd is not None:
                data = self._pending + text
                cut = data.rfind("\n")
                if cut < 0:
                    self._pending = data
                else:
                    self._pending = data[cut + 1 :]
                    self._emit(data[: cut + 1])
        return len(text)

    def flush(self) -> None:
        pass

    # ---------------------------------------------------------------------------------
    def _emit(self, block: str) -> None:
        lines = block.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        out = "".join(f"{self._clear}{self._prefix}{line}\n" for line in lines)
        try:
            os.write(self._fd, out.encode("utf-8", "replace"))  # type: ignore[arg-type]
        except OSError:
            pass

    def finish(self) -> None:
        with self._lock:
            if self._fd is not None and self._pending:
                self._emit(self._pending + "\n")
            self._pending = ""

    def text(self) -> str:
        with self._lock:
            return "".join(self._parts)

    def record(self, text: str) -> None:
        """Add to the log without echoing (e.g. a traceback the scheduler prints itself)."""
        with self._lock:
            self._parts.append(text)


class Capture:
    """Context manager swapping sys.stdout/sys.stderr for tee streams."""

    def __init__(self, prefix: str, *, echo: bool = True, clear_line: bool = False) -> None:
        out_fd = err_fd = None
        if echo:
            out_fd, err_fd = _fd_of(sys.__stdout__, 1), _fd_of(sys.__stderr__, 2)
        self.stdout = TeeStream(out_fd, prefix, clear_line=clear_line)
        self.stderr = TeeStream(err_fd, prefix, clear_line=clear_line)
        self._saved: Tuple = ()

    def __enter__(self) -> "Capture":
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        self._saved = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = self.stdout, self.stderr
        return self

    def __exit__(self, *exc) -> None:
        sys.stdout, sys.stderr = self._saved
        self.stdout.finish()
        self.stderr.finish()


def _fd_of(stream, default: int) -> Optional[int]:
    try:
        return stream.fileno()
    except Exception:
        return default
