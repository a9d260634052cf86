"""Capture a task's stdout/stderr at the file-descriptor level: kept for the task's logs, echoed with a prefix.

File descriptors 1 and 2 are pointed at pipes for the duration of the task, so
everything the task writes is captured: ``print``, C extensions writing to their
stdio, and subprocesses (``os.system("echo hi")``), which inherit the descriptors.
A reader thread per stream records the text and echoes whole lines, prefixed with
the pathspec, to the process's original descriptor (one ``os.write`` per block of
lines, so lines of parallel tasks do not interleave mid-line).
"""
from __future__ import annotations

import codecs
import io
import os
import select
import sys
import threading
from typing import Any, List, Optional, Tuple

POLL_SECONDS = 0.1  # the reader wakes this often to notice the task ended (and then drains what is left)


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

    def write(self, text: str) -> int:
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

    def echo(self, text: str) -> None:
        """Echo whole lines with the prefix without adding them to the log."""
        if self._fd is not None and text:
            self._emit(text if text.endswith("\n") else text + "\n")


class _FdCapture:
    """One descriptor (1 or 2) redirected into a pipe, which the capture's reader thread drains."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.tee: Optional["TeeStream"] = None
        self._saved: Optional[int] = None
        read, write = os.pipe()
        self._read: Optional[int] = read
        self._write: Optional[int] = write

    def start(self, tee: "TeeStream") -> None:
        self.tee = tee
        self._saved = os.dup(self.fd)
        assert self._write is not None, "a capture starts once"
        os.dup2(self._write, self.fd)
        os.close(self._write)
        self._write = None

    def stop(self) -> None:
        """Point the descriptor back (this closes this process's write end of the pipe)."""
        if self._saved is None:
            return
        os.dup2(self._saved, self.fd)
        os.close(self._saved)
        self._saved = None

    def close(self) -> None:
        for fd in (self._read, self._write):
            if fd is not None:
                os.close(fd)
        self._read = self._write = None


class _Reader:
    """One thread draining both captured pipes (one thread, not one per stream: a task process
    starts it, and every thread start is on the task's cost)."""

    def __init__(self) -> None:
        self.captures = [_FdCapture(1), _FdCapture(2)]
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._pump, name="sfncompile-capture", daemon=True)
        self._thread.start()

    def _pump(self) -> None:
        owners = {c._read: c for c in self.captures if c._read is not None}
        decoders = {fd: codecs.getincrementaldecoder("utf-8")(errors="replace") for fd in owners}
        open_fds = list(owners)
        while open_fds:
            ready, _, _ = select.select(open_fds, [], [], POLL_SECONDS)
            if not ready:
                # After the task, stop once nothing arrives: a leftover subprocess may hold a pipe open.
                if self._done.is_set():
                    break
                continue
            for fd in ready:
                data = os.read(fd, 65536)
                if not data:
                    open_fds.remove(fd)
                    continue
                self._feed(owners[fd], decoders[fd].decode(data))
        for fd, decoder in decoders.items():
            self._feed(owners[fd], decoder.decode(b"", final=True))

    @staticmethod
    def _feed(capture: _FdCapture, text: str) -> None:
        if text and capture.tee is not None:
            capture.tee.write(text)

    def stop(self) -> None:
        for capture in self.captures:
            capture.stop()
        self._done.set()
        self._thread.join()
        for capture in self.captures:
            capture.close()


_PREPARED: List[_Reader] = []  # a reader made ready ahead of the task


def prepare_capture() -> None:
    """Get the next task's capture ready (pipes, reader thread) ahead of it: a process that
    waits for its task calls this, so starting a thread is off the task's path."""
    if not _PREPARED:
        _PREPARED.append(_Reader())


class Capture:
    """Context manager: descriptors 1 and 2 (and sys.stdout/sys.stderr) go to the task's tee streams."""

    def __init__(self, prefix: str, *, echo: bool = True, clear_line: bool = False) -> None:
        self._prefix = prefix
        self._echo = echo
        self._clear = clear_line
        self.stdout = TeeStream(None, prefix, clear_line=clear_line)
        self.stderr = TeeStream(None, prefix, clear_line=clear_line)
        self._reader: Optional[_Reader] = None
        self._saved: Tuple[Any, ...] = ()

    def __enter__(self) -> "Capture":
        _flush(sys.stdout, sys.stderr)
        if self._echo:
            # Echo to where the descriptors pointed before: a copy made now, closed on exit.
            self.stdout._fd, self.stderr._fd = os.dup(1), os.dup(2)
        self._reader = _PREPARED.pop() if _PREPARED else _Reader()
        for capture, tee in zip(self._reader.captures, (self.stdout, self.stderr)):
            capture.start(tee)
        self._saved = (sys.stdout, sys.stderr)
        # Python-level writes go straight to the descriptors, line by line, whatever sys.stdout was.
        sys.stdout = open(1, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
        sys.stderr = open(2, "w", buffering=1, encoding="utf-8", errors="replace", closefd=False)
        return self

    def __exit__(self, *exc: Any) -> None:
        _flush(sys.stdout, sys.stderr)
        ours = (sys.stdout, sys.stderr)
        sys.stdout, sys.stderr = self._saved
        for stream in ours:
            try:
                stream.close()
            except Exception:
                pass
        if self._reader is not None:
            self._reader.stop()
            self._reader = None
        for tee in (self.stdout, self.stderr):
            tee.finish()
            if tee._fd is not None:
                os.close(tee._fd)
                tee._fd = None


def _flush(*streams: Any) -> None:
    for stream in streams:
        try:
            stream.flush()
        except Exception:
            pass
