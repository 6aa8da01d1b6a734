"""Outputs that would destroy what the run reads, refused before anything is read.

An output may not be one of the run's inputs (by any spelling of its path: relative,
absolute, through a link), a file inside an input dataset's folder or matched by an input
glob (it would join the dataset), another output of the same run, a folder, or a node that
is neither a regular file nor a stream (a FIFO or a character device such as
``/dev/null`` or ``/dev/stdout`` is written in place, never replaced).
"""

from __future__ import annotations

import fnmatch
import os
import stat
from collections.abc import Iterable, Sequence
from typing import Any

from losscli.errors import UsageError, option
from losscli.formats import GLOB_CHARACTERS


def is_stream(path: str) -> bool:
    """A FIFO or a character device: written in place, as a stream, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)


def check_outputs(outputs: Sequence[tuple[str, Any]], inputs: Iterable[Any]) -> None:
    """Refuse, in one line naming the option, an output that would destroy an input.

    ``outputs`` are (option name, path) pairs, None paths left out; ``inputs`` are what
    the run reads: paths, '-', globs, folders, or in-memory objects (ignored).
    """
    given = [(name, os.fspath(path)) for name, path in outputs if _is_path(path)]
    read = [os.fspath(i) for i in inputs if _is_path(i) and os.fspath(i) != "-"]
    taken: dict[str, str] = {}
    for name, path in given:
        if path == "-" or not path:
            continue
        where = option(name, path)
        _check_node(where, path)
        real = os.path.realpath(path)
        if is_stream(path):
            continue
        for source in read:
            clash = _clash(real, source)
            if clash:
                raise UsageError(f"{where}: {clash}; write the output elsewhere")
        if real in taken:
            raise UsageError(f"{where}: the same file as {taken[real]}; give each its own file")
        taken[real] = option(name, path)


def _is_path(obj: Any) -> bool:
    return isinstance(obj, (str, os.PathLike))


def _check_node(where: str, path: str) -> None:
    try:
        mode = os.stat(path).st_mode
    except FileNotFoundError:
        return
    except OSError as exc:
        raise UsageError(f"{where}: cannot write there ({exc.strerror or exc})") from None
    if stat.S_ISDIR(mode):
        raise UsageError(f"{where}: is a folder; give a file path")
    if not (stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or stat.S_ISCHR(mode)):
        raise UsageError(f"{where}: not a regular file; give a file path")


def _clash(real: str, source: str) -> str:
    """Why writing the file at ``real`` would change the input ``source`` ('' if not)."""
    if "://" in source:
        return ""
    if GLOB_CHARACTERS & set(source):
        pattern = os.path.abspath(source)
        if fnmatch.fnmatchcase(real, pattern):
            return f"the input glob {source} matches it (it would join that dataset)"
        import glob

        matches = glob.glob(source)
        for match in matches:
            clash = _clash(real, match)
            if clash:
                return clash
        return ""
    source_real = os.path.realpath(source)
    if os.path.isdir(source_real):
        if real.startswith(source_real.rstrip(os.sep) + os.sep):
            return f"it is inside the input dataset {source} (it would join it)"
        return ""
    if real == source_real:
        return f"it is the input {source}"
    try:
        if os.path.samefile(real, source_real):
            return f"it is the input {source} (another name of the same file)"
    except OSError:
        pass
    return ""


__all__ = ["check_outputs", "is_stream"]
