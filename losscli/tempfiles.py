"""Temporary files made for this run (stdin spooled to disk, a baseline being replaced),
removed when the run ends, also when it is ended by SIGTERM or SIGHUP."""

from __future__ import annotations

import contextlib
import os
import time
from typing import Any, BinaryIO

_MADE: list[str] = []
_HANDLING = False


def watch_signals() -> None:
    """Install the SIGTERM/SIGHUP clean-up once; call it before creating a temporary file,
    so that a signal between its creation and its registration cannot leave it behind."""
    global _HANDLING
    if not _HANDLING:
        remove_on_termination()
        _HANDLING = True


def register(path: str) -> None:
    """Remove ``path`` when the run ends (also on SIGTERM and SIGHUP)."""
    watch_signals()
    _MADE.append(path)


def unregister(path: str) -> None:
    with contextlib.suppress(ValueError):
        _MADE.remove(path)


STALE_AFTER = 3600.0  # seconds after which a temporary file of unknown owner is stale


def beside(path: str, tag: str) -> tuple[int, str]:
    """A new temporary file in ``path``'s folder (a rename then replaces ``path`` in one
    step), named ``.TAG-PID-XXXX`` and removed when the run ends. Files of the same tag that
    a killed run left (their process is gone) are removed first. Returns (fd, path)."""
    import tempfile

    folder = os.path.dirname(path) or "."
    sweep(folder, tag)
    watch_signals()
    handle, made = tempfile.mkstemp(prefix=f".{tag}-{os.getpid()}-", dir=folder)
    register(made)
    return handle, made


def sweep(folder: str, tag: str) -> None:
    """Remove the ``.TAG-PID-*`` files in ``folder`` whose process has ended (or, when no
    process is named, that are older than an hour)."""
    prefix = f".{tag}-"
    try:
        names = [n for n in os.listdir(folder) if n.startswith(prefix)]
    except OSError:
        return
    for name in names:
        path = os.path.join(folder, name)
        owner = name[len(prefix) :].split("-", 1)[0]
        with contextlib.suppress(OSError):
            if owner.isdigit() and int(owner) != os.getpid():
                if _ended(int(owner)):
                    os.unlink(path)
            elif not owner.isdigit() and time.time() - os.stat(path).st_mtime > STALE_AFTER:
                os.unlink(path)


def _ended(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


KEEP_FREE = 1 << 30  # what spooling stdin leaves free on the temporary folder's disk
CHECK_EVERY = 256 << 20  # bytes spooled between two looks at the free space
_BLOCK = 1 << 20


def spool(stream: BinaryIO, prefix: str = "losscli-stdin-") -> str:
    """Copy ``stream`` to a new temporary file and return its path.

    Stops with an error rather than fill the disk (``yes 1 | losscli ...``).
    """
    import shutil
    import tempfile

    from losscli.errors import InputError

    watch_signals()
    handle = tempfile.NamedTemporaryFile(prefix=prefix, delete=False)
    register(handle.name)
    folder = os.path.dirname(handle.name)
    written, next_check = 0, 0
    with handle:
        while block := stream.read(_BLOCK):
            handle.write(block)
            written += len(block)
            if written < next_check:
                continue
            next_check = written + CHECK_EVERY
            if shutil.disk_usage(folder).free < KEEP_FREE:
                raise InputError(
                    f"-: stdin holds more than {folder} has room for ({written >> 20} MiB so "
                    "far); write it to a file and give that instead"
                )
    return handle.name


def remove_all() -> None:
    while _MADE:
        with contextlib.suppress(OSError):
            os.unlink(_MADE.pop())


def _removed_then_default(signum: int, frame: Any) -> None:
    import signal

    remove_all()
    signal.signal(signum, signal.SIG_DFL)
    os.kill(os.getpid(), signum)


def remove_on_termination() -> None:
    """Remove the files on SIGTERM and SIGHUP too, then end as those signals do (exit 128 +
    the signal's number). A SIGHUP the parent has us ignore (``nohup``) stays ignored.

    Python runs a signal's handler in the main thread between two bytecodes, which may be
    long in coming when that thread waits in C code; a watcher thread therefore hears of the
    signal at once (the wake-up file descriptor), removes the files and ends the process.
    """
    import signal

    caught = []
    for name in ("SIGTERM", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is None or signal.getsignal(number) == signal.SIG_IGN:
            continue
        with contextlib.suppress(ValueError, OSError):  # not the main thread
            signal.signal(number, _removed_then_default)
            caught.append(int(number))
    if caught:
        _watch(caught)


def _end_by(number: int) -> None:
    """End the process as the signal ``number`` would, from any thread: the default action
    set through the C library (``signal.signal`` works in the main thread only), then the
    signal itself; exit status 128 + ``number`` if that cannot be done."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.signal.restype = ctypes.c_void_p
        libc.signal.argtypes = [ctypes.c_int, ctypes.c_void_p]
        libc.signal(number, None)  # SIG_DFL
        os.kill(os.getpid(), number)
        time.sleep(1)
    finally:
        os._exit(128 + number)


def _watch(signals: list[int]) -> None:
    import signal
    import threading

    read_end, write_end = os.pipe()
    os.set_blocking(write_end, False)
    try:
        previous = signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    except ValueError:  # not the main thread: the handlers alone
        os.close(read_end)
        os.close(write_end)
        return
    if previous != -1:  # someone else listens (an event loop): leave it theirs
        signal.set_wakeup_fd(previous)
        os.close(read_end)
        os.close(write_end)
        return

    def watch() -> None:
        while True:
            try:
                received = os.read(read_end, 64)
            except OSError:
                return
            for number in received:
                if number in signals:
                    remove_all()
                    _end_by(number)

    threading.Thread(target=watch, name="losscli-signals", daemon=True).start()
