"""A baseline file written: the records of a check run, as ``compute -o json`` writes them,
replacing the file in one step."""

from __future__ import annotations

import contextlib
import io
import os
import stat
import tempfile
from collections.abc import Sequence
from typing import Any

from losscli.checks.baseline import check_writable
from losscli.errors import InputError, flag
from losscli.render.results import write_results
from losscli.tempfiles import register, unregister, watch_signals


def write_baseline(path: str, records: Sequence[dict[str, Any]]) -> None:
    """Replace ``path`` by the records in one step: readers never see half a file.

    A symbolic link is followed (its target is replaced) and the file keeps its mode.
    """
    check_writable(path)
    text = io.StringIO()
    write_results(records, "json", text)
    target = os.path.realpath(path)
    try:
        mode = stat.S_IMODE(os.stat(target).st_mode)
    except FileNotFoundError:
        umask = os.umask(0)
        os.umask(umask)
        mode = 0o666 & ~umask
    temporary = None
    watch_signals()
    try:
        handle, temporary = tempfile.mkstemp(
            prefix=".losscli-baseline-", dir=os.path.dirname(target) or "."
        )
        register(temporary)
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text.getvalue())
            fh.flush()
            os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
        os.replace(temporary, target)
        temporary = None
    except OSError as exc:
        raise InputError(
            f"{flag('update_baseline')} {path}: cannot write ({exc.strerror or exc})"
        ) from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            unregister(temporary)
