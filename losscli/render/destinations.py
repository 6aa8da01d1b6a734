"""Where a command's output goes, made visible only once the run has succeeded.

Per-row output streams while the data is still being read, and a later chunk may still
fail (a bad cell, NaN under ``--nan error``). So nothing a reader could take for a whole
result appears before the run ends: ``--out FILE`` is written to a temporary file beside
it and renamed; stdout redirected to a file is truncated back on failure; a pipe or a
terminal gets the output spooled (in memory, then an anonymous temporary file) and copied
once the run has succeeded.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import stat
import tempfile
from typing import IO, Any, BinaryIO

from losscli import tempfiles

SPOOL_IN_MEMORY = 32 << 20  # bytes of output held in memory before spooling to disk


class Destination:
    """A binary stream and what to do with it when the run succeeds or fails."""

    def __init__(self, stream: BinaryIO, name: str) -> None:
        self.stream = stream
        self.name = name  # for messages: the file, or "stdout"

    def commit(self) -> None:
        self.stream.flush()

    def discard(self) -> None:
        """Undo what was written; never raises."""


class _FileDestination(Destination):
    """``--out FILE``: a temporary file in the same folder, renamed over FILE on success."""

    def __init__(self, path: str) -> None:
        folder = os.path.dirname(os.path.abspath(path))
        tempfiles.watch_signals()
        try:
            if os.path.isdir(path):
                raise IsADirectoryError(21, "it is a folder")
            handle = tempfile.NamedTemporaryFile(
                dir=folder, prefix=f".{os.path.basename(path)}.", suffix=".part", delete=False
            )
        except OSError as exc:
            from losscli.errors import UsageError, option

            raise UsageError(
                f"{option('out', path)}: cannot write there ({exc.strerror or exc})"
            ) from None
        tempfiles.register(handle.name)
        super().__init__(handle, path)  # type: ignore[arg-type]
        self.path = path
        self.temporary = handle.name

    def commit(self) -> None:
        self.stream.close()
        os.replace(self.temporary, self.path)
        tempfiles.unregister(self.temporary)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()
        with contextlib.suppress(OSError):
            os.unlink(self.temporary)
        tempfiles.unregister(self.temporary)


class _TruncatingDestination(Destination):
    """stdout redirected to a regular file: written in place, cut back on failure."""

    def __init__(self, stream: BinaryIO, fd: int) -> None:
        super().__init__(stream, "stdout")
        stream.flush()
        self.fd = fd
        self.start = os.fstat(fd).st_size if _appending(fd) else os.lseek(fd, 0, os.SEEK_CUR)

    def discard(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.stream.flush()
        with contextlib.suppress(OSError):
            os.ftruncate(self.fd, self.start)
            os.lseek(self.fd, self.start, os.SEEK_SET)


def _appending(fd: int) -> bool:
    """Opened for appending (``>>``): every write lands at the end, wherever we seek."""
    try:
        import fcntl
    except ImportError:  # not POSIX: no O_APPEND flags to read
        return True
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & os.O_APPEND)


class _SpooledDestination(Destination):
    """A pipe or a terminal: the output is held back and copied on success."""

    def __init__(self, target: BinaryIO) -> None:
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        super().__init__(spool, "stdout")  # type: ignore[arg-type]
        self.target = target

    def commit(self) -> None:
        self.stream.seek(0)
        shutil.copyfileobj(self.stream, self.target, 1 << 20)
        self.target.flush()
        self.stream.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


def open_destination(path: str | None, stdout: IO[str] | None = None) -> Destination:
    """The destination of ``--out path``, or of ``stdout`` when ``path`` is None."""
    if path is not None:
        return _FileDestination(path)
    if stdout is None:
        raise ValueError("a destination needs a path or a stream")
    stdout.flush()
    target: Any = getattr(stdout, "buffer", stdout)
    try:
        fd = target.fileno()
        mode = os.fstat(fd).st_mode
    except (AttributeError, OSError, ValueError):
        return _SpooledDestination(target)
    if stat.S_ISREG(mode):
        return _TruncatingDestination(target, fd)
    if stat.S_ISCHR(mode) and os.path.samestat(os.fstat(fd), os.stat(os.devnull)):
        return Destination(target, "stdout")  # nobody reads it: nothing to hold back
    return _SpooledDestination(target)
