"""Temporary files made for this run (stdin spooled to disk, a baseline being replaced),
removed when the run ends, also when it is ended by SIGTERM or SIGHUP."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import tempfile
from typing import Any, BinaryIO

_MADE: list[str] = []


def register(path: str) -> None:
    _MADE.append(path)


def unregister(path: str) -> None:
    with contextlib.suppress(ValueError):
        _MADE.remove(path)


def spool(stream: BinaryIO, prefix: str = "losscli-stdin-") -> str:
    """Copy ``stream`` to a new temporary file and return its path."""
    handle = tempfile.NamedTemporaryFile(prefix=prefix, delete=False)
    register(handle.name)
    with handle:
        shutil.copyfileobj(stream, handle, 1 << 20)
    return handle.name


def remove_all() -> None:
    while _MADE:
        with contextlib.suppress(OSError):
            os.unlink(_MADE.pop())


def _removed_then_default(signum: int, frame: Any) -> None:
    remove_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def remove_on_termination() -> None:
    """Remove the files on SIGTERM and SIGHUP too, then end as those signals do."""
    for name in ("SIGTERM", "SIGHUP"):
        if hasattr(signal, name):
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                signal.signal(getattr(signal, name), _removed_then_default)
