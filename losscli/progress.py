"""Progress on long work, drawn on stderr: bootstrap resampling, large reads (by bytes or
rows), many logs. Shown only when stderr is a terminal (or ``--progress`` asks) and once a
task has lasted ``DELAY`` seconds, so short runs, pipes and CI logs stay clean. Library code
reports through ``task()``; only the command line turns the display on.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

DELAY = 0.5  # seconds a task runs before a bar appears
# False: never (the library default); None: when stderr is a tty; True: always.
_MODE: ContextVar[bool | None] = ContextVar("losscli_progress", default=False)


@contextmanager
def shown(progress: bool | None) -> Iterator[None]:
    """Bars within the block: ``True`` always (``--progress``), ``False`` never, ``None``
    on a terminal. The setting belongs to the block (and its thread), not the process."""
    token = _MODE.set(progress)
    try:
        yield
    finally:
        _MODE.reset(token)


def _wanted() -> bool:
    mode = _MODE.get()
    if mode is None:
        return sys.stderr is not None and sys.stderr.isatty() and os.environ.get("CI") is None
    return mode


class Task:
    """One piece of work: ``advance(k)`` as it goes; a bar appears after ``DELAY``."""

    def __init__(self, description: str, total: float | None, unit: str) -> None:
        self.description = description
        self.total = total
        self.unit = unit
        self.done = 0.0
        self.started = time.monotonic()
        self._bar: Any = None
        self._id: Any = None
        self.enabled = _wanted()

    def advance(self, amount: float) -> None:
        self.done += amount
        if not self.enabled:
            return
        if self._bar is None:
            if time.monotonic() - self.started < DELAY:
                return
            self._start()
        self._bar.update(self._id, completed=self.done)

    def _start(self) -> None:
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        console = Console(file=sys.stderr, force_terminal=_MODE.get() is True or None)
        columns = [TextColumn("{task.description}"), BarColumn(), TaskProgressColumn()]
        columns.append(TimeRemainingColumn())
        self._bar = Progress(*columns, console=console, transient=True)
        self._bar.start()
        self._id = self._bar.add_task(self.description, total=self.total, completed=self.done)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
            self._bar = None


@contextmanager
def task(description: str, total: float | None, unit: str = "") -> Iterator[Task]:
    """A Task for the duration of the block; its bar (if any) is removed at the end."""
    current = Task(description, total, unit)
    try:
        yield current
    finally:
        current.close()
