"""Temporary files made for this run (stdin spooled to disk), removed when the run ends."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from typing import BinaryIO

_MADE: list[str] = []


def spool(stream: BinaryIO, prefix: str = "losscli-stdin-") -> str:
    """Copy ``stream`` to a new temporary file and return its path."""
    handle = tempfile.NamedTemporaryFile(prefix=prefix, delete=False)
    _MADE.append(handle.name)
    with handle:
        shutil.copyfileobj(stream, handle, 1 << 20)
    return handle.name


def remove_all() -> None:
    while _MADE:
        with contextlib.suppress(OSError):
            os.unlink(_MADE.pop())
