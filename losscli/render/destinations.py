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
    """``--out FILE``: a temporary file in the same folder, renamed over FILE on success.

    A link is followed (its target is replaced) and a replaced file keeps its mode;
    ``durable`` also waits for the bytes to reach the disk before the rename."""

    def __init__(self, path: str, option_name: str = "out", durable: bool = False) -> None:
        target = os.path.realpath(path)
        self.option_name = option_name
        try:
            if os.path.isdir(target):
                raise IsADirectoryError(21, "it is a folder")
            handle, temporary = tempfiles.beside(target, "losscli")
        except OSError as exc:
            raise self._error(path, exc) from None
        super().__init__(os.fdopen(handle, "wb"), path)
        self.target = target
        self.temporary = temporary
        self.durable = durable

    def _error(self, path: str, exc: OSError) -> Exception:
        from losscli.errors import UsageError, option

        return UsageError(
            f"{option(self.option_name, path)}: cannot write there ({exc.strerror or exc})"
        )

    def commit(self) -> None:
        try:
            self.stream.flush()
            os.fchmod(self.stream.fileno(), _mode_for(self.target))
            if self.durable:
                os.fsync(self.stream.fileno())
            self.stream.close()
            os.replace(self.temporary, self.target)
        except OSError as exc:
            self.discard()
            raise self._error(self.name, exc) from None
        tempfiles.unregister(self.temporary)

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()
        with contextlib.suppress(OSError):
            os.unlink(self.temporary)
        tempfiles.unregister(self.temporary)


def _mode_for(target: str) -> int:
    """The permissions of the file being replaced, or those a new file gets."""
    try:
        return stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


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

    def __init__(self, target: BinaryIO | None, name: str = "stdout") -> None:
        spool = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)
        super().__init__(spool, name)  # type: ignore[arg-type]
        self.target = target

    def commit(self) -> None:
        assert self.target is not None
        self._copy_to(self.target)

    def _copy_to(self, target: BinaryIO) -> None:
        self.stream.seek(0)
        shutil.copyfileobj(self.stream, target, 1 << 20)
        target.flush()
        self.stream.close()

    def discard(self) -> None:
        with contextlib.suppress(OSError):
            self.stream.close()


class _StreamDestination(_SpooledDestination):
    """``--out`` naming a FIFO or a character device (``/dev/null``): held back, then
    written into it in place (replacing it would leave its reader waiting forever)."""

    def __init__(self, path: str) -> None:
        super().__init__(None, path)

    def commit(self) -> None:
        with open(self.name, "wb") as target:
            self._copy_to(target)


def open_destination(
    path: str | None,
    stdout: IO[str] | None = None,
    option_name: str = "out",
    durable: bool = False,
) -> Destination:
    """The destination of ``--out path``, or of ``stdout`` when ``path`` is None.
    ``option_name`` is the option messages name (``out``, ``markdown``...)."""
    if path is not None:
        from losscli.output_guard import is_stream

        if _is_our_stdout(path):  # through file descriptor 1, where the shell's writes go
            import sys

            return open_destination(None, stdout or sys.stdout)
        if is_stream(path):
            return _StreamDestination(path)
        return _FileDestination(path, option_name, durable)
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


def _is_our_stdout(path: str) -> bool:
    """``--out /dev/stdout`` (or another name of this process's standard output)."""
    try:
        return os.path.samestat(os.stat(path), os.fstat(1))
    except (OSError, ValueError):
        return False
