"""Capture a task's stdout/stderr at the file-descriptor level: kept for the task's logs, echoed with a prefix.

File descriptors 1 and 2 are pointed at pipes for the duration of the task, so
everything the task writes is captured: ``print``, C extensions writing to their
stdio, and subprocesses (``os.system("echo hi")``), which inherit the descriptors.
One reader thread drains both pipes, records the text and echoes whole lines,
prefixed with the pathspec, to the process's original descriptor (one ``os.write``
per block of lines, so lines of parallel tasks do not interleave mid-line).

Without echo (``sfncompile run --quiet``) nothing needs reading while the task runs:
the descriptors point at anonymous in-memory files instead (``memfd``), read when
the task ends, so a task starts no thread and opens no pipe (a thread costs a task
process about a millisecond of CPU, mostly copy-on-write faults).
"""
from __future__ import annotations

import _thread
import codecs
import io
import os
import select
import sys
import tempfile
import threading
from typing import Any, Callable, List, Optional, Tuple, Union

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
        self.drain: Optional[Callable[[], None]] = None  # reads what the task wrote so far (file capture)

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
        """Add to the log without echoing (e.g. a traceback the scheduler prints itself), after
        what the task wrote before."""
        if self.drain is not None:
            self.drain()
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

    def start(self, tee: "TeeStream", drain: Optional[Callable[[], None]] = None) -> None:
        self.tee = tee
        tee.drain = drain
        self._saved = os.dup(self.fd)
        assert self._write is not None, "a capture starts once"
        os.dup2(self._write, self.fd)
        os.close(self._write)
        self._write = None

    def stop(self) -> None:
        """Point the descriptor back (this closes this process's write end of the pipe)."""
        if self.tee is not None:
            self.tee.drain = None
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
    starts it, and every thread start is on the task's cost; a bare ``_thread``, not a
    ``threading.Thread``, whose bookkeeping costs a fresh process more than the thread)."""

    echo = True

    def __init__(self) -> None:
        self.captures = [_FdCapture(1), _FdCapture(2)]
        self._done = False
        self._feeding = _thread.allocate_lock()  # held while a chunk read from a pipe is recorded
        self._running = _thread.allocate_lock()
        self._running.acquire()
        _thread.start_new_thread(self._pump, ())

    def _pump(self) -> None:
        try:
            self._drain_pipes()
        finally:
            self._running.release()

    def _drain_pipes(self) -> None:
        owners = {c._read: c for c in self.captures if c._read is not None}
        decoders = {fd: codecs.getincrementaldecoder("utf-8")(errors="replace") for fd in owners}
        open_fds = list(owners)
        while open_fds:
            ready, _, _ = select.select(open_fds, [], [], POLL_SECONDS)
            if not ready:
                # After the task, stop once nothing arrives: a leftover subprocess may hold a pipe open.
                if self._done:
                    break
                continue
            for fd in ready:
                with self._feeding:
                    data = os.read(fd, 65536)
                    if data:
                        self._feed(owners[fd], decoders[fd].decode(data))
                if not data:
                    open_fds.remove(fd)
        for fd, decoder in decoders.items():
            self._feed(owners[fd], decoder.decode(b"", final=True))

    @staticmethod
    def _feed(capture: _FdCapture, text: str) -> None:
        if text and capture.tee is not None:
            capture.tee.write(text)

    def drain(self) -> None:
        """Wait until what was written to the pipes so far is recorded."""
        import fcntl
        import struct
        import termios
        import time

        for capture in self.captures:
            while capture._read is not None:
                pending = fcntl.ioctl(capture._read, termios.FIONREAD, b"\0\0\0\0")
                if not struct.unpack("i", pending)[0]:
                    break
                time.sleep(0.001)
        with self._feeding:  # a chunk read but not recorded yet
            pass

    def stop(self) -> None:
        for capture in self.captures:
            capture.stop()
        self._done = True
        self._running.acquire()
        for capture in self.captures:
            capture.close()


class _FileCapture:
    """One descriptor (1 or 2) redirected into an anonymous file, read when asked (no echo)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        self.tee: Optional["TeeStream"] = None
        self._saved: Optional[int] = None
        self._file: Optional[int] = _anonymous_file()
        self._offset = 0
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")

    def start(self, tee: "TeeStream", drain: Optional[Callable[[], None]] = None) -> None:
        self.tee = tee
        tee.drain = self.drain
        self._saved = os.dup(self.fd)
        os.dup2(self._file, self.fd)  # type: ignore[arg-type]

    def drain(self, final: bool = False) -> None:
        """Record what was written since the last call (``pread``: the writers' shared offset stays put)."""
        if self._file is None:
            return
        chunks: List[bytes] = []
        while True:
            chunk = os.pread(self._file, 1 << 20, self._offset)
            if not chunk:
                break
            self._offset += len(chunk)
            chunks.append(chunk)
        text = self._decoder.decode(b"".join(chunks), final=final)
        if text and self.tee is not None:
            self.tee.write(text)

    def stop(self) -> None:
        if self._saved is not None:
            os.dup2(self._saved, self.fd)
            os.close(self._saved)
            self._saved = None
        self.drain(final=True)
        if self.tee is not None:
            self.tee.drain = None

    def close(self) -> None:
        if self._file is not None:
            os.close(self._file)
            self._file = None


class _Files:
    """Both descriptors into anonymous files: the capture when nothing is echoed."""

    echo = False

    def __init__(self) -> None:
        self.captures = [_FileCapture(1), _FileCapture(2)]

    def stop(self) -> None:
        for capture in self.captures:
            capture.stop()
            capture.close()


def _anonymous_file() -> int:
    """A descriptor on a file with no name (memfd on Linux; an unlinked temporary file elsewhere)."""
    memfd = getattr(os, "memfd_create", None)
    if memfd is not None:
        try:
            return memfd("sfncompile-capture", getattr(os, "MFD_CLOEXEC", 0))
        except OSError:
            pass
    fd, path = tempfile.mkstemp(prefix="sfncompile-capture-")
    os.unlink(path)
    return fd


_PREPARED: List[Union[_Reader, _Files]] = []  # a capture made ready ahead of the task


def prepare_capture(echo: bool = True) -> None:
    """Get the next task's capture ready (pipes and reader thread, or files without echo) ahead of
    it: a process that waits for its task calls this, so that work is off the task's path."""
    if not _PREPARED:
        _PREPARED.append(_Reader() if echo else _Files())


def _take_prepared(echo: bool) -> Union[_Reader, _Files]:
    ready = _PREPARED.pop() if _PREPARED else None
    if ready is not None and ready.echo == echo:
        return ready
    if ready is not None:  # prepared for the other mode: not used
        ready.stop()
    return _Reader() if echo else _Files()


class Capture:
    """Context manager: descriptors 1 and 2 (and sys.stdout/sys.stderr) go to the task's tee streams."""

    def __init__(self, prefix: str, *, echo: bool = True, clear_line: bool = False) -> None:
        self._prefix = prefix
        self._echo = echo
        self._clear = clear_line
        self.stdout = TeeStream(None, prefix, clear_line=clear_line)
        self.stderr = TeeStream(None, prefix, clear_line=clear_line)
        self._reader: Optional[Union[_Reader, _Files]] = None
        self._saved: Tuple[Any, ...] = ()

    def __enter__(self) -> "Capture":
        _flush(sys.stdout, sys.stderr)
        if self._echo:
            # Echo to where the descriptors pointed before: a copy made now, closed on exit.
            self.stdout._fd, self.stderr._fd = os.dup(1), os.dup(2)
        self._reader = _take_prepared(self._echo)
        captures: List[Union[_FdCapture, _FileCapture]] = list(self._reader.captures)
        for capture, tee in zip(captures, (self.stdout, self.stderr)):
            capture.start(tee, getattr(self._reader, "drain", None))
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
