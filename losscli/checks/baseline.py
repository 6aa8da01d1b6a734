"""Baseline files: the JSON `losscli compute -o json` writes, read back and checked value by
value, and rewritten atomically."""

from __future__ import annotations

import json
import math
import os
import stat
from collections.abc import Sequence
from typing import Any

from losscli.errors import InputError, UsageError, flag, option
from losscli.records import field, record

MAX_BYTES = 64 << 20  # a baseline holds a few values; anything larger is not one


@record(frozen=True)
class Recorded:
    """One loss as a baseline recorded it."""

    loss: str
    value: float
    check: str | None = None
    reduction: str | None = None
    params: dict[str, Any] | None = None
    groups: dict[Any, float] = field(default_factory=dict)


def _where(path: str) -> str:
    return option("baseline", path)


def _number(value: Any, what: str, path: str) -> float:
    """A finite number, or an error saying what the baseline holds instead."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        shown = "null" if value is None else json.dumps(value)[:40]
        raise InputError(f"{_where(path)}: {what} is {shown}, not a number")
    try:
        number = float(value)
    except OverflowError:
        number = math.inf
    if not math.isfinite(number):
        raise InputError(f"{_where(path)}: {what} is not a finite number")
    return number


def _label(value: Any, what: str, path: str) -> Any:
    if value is None or isinstance(value, (str, bool, int, float)):
        return value
    raise InputError(f"{_where(path)}: {what} is not a group label (text, a number or null)")


def _record(raw: Any, position: int, path: str) -> Recorded:
    what = f"result {position + 1}"
    if not isinstance(raw, dict) or not isinstance(raw.get("loss"), str):
        raise InputError(f'{_where(path)}: {what} is not a result with a "loss" name')
    loss = raw["loss"]
    what = f"{loss}" + (f" (check {raw['check']})" if isinstance(raw.get("check"), str) else "")
    for key, kind in (("check", str), ("reduction", str), ("params", dict)):
        if key in raw and raw[key] is not None and not isinstance(raw[key], kind):
            raise InputError(f'{_where(path)}: "{key}" of {what} has the wrong type')
    groups: dict[Any, float] = {}
    listed = raw.get("groups", [])
    if not isinstance(listed, list):
        raise InputError(f'{_where(path)}: "groups" of {what} is not a list')
    for entry in listed:
        if not isinstance(entry, dict) or "group" not in entry:
            raise InputError(f'{_where(path)}: a group of {what} is not {{"group", "value"}}')
        label = _label(entry["group"], f"a group label of {what}", path)
        if label in groups:
            raise InputError(f"{_where(path)}: {what} lists group {label!r} twice")
        groups[label] = _number(entry.get("value"), f"the value of {what} [{label}]", path)
    return Recorded(
        loss=loss,
        value=_number(raw.get("value"), f"the value of {what}", path),
        check=raw.get("check"),
        reduction=raw.get("reduction"),
        params=raw.get("params"),
        groups=groups,
    )


def _regular_file(path: str, verb: str) -> None:
    if path == "-":
        raise UsageError(f"{option('baseline', '-')}: give a file path to {verb}")
    try:
        info = os.stat(path)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise InputError(f"{_where(path)}: cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(info.st_mode):
        raise InputError(f"{_where(path)}: not a regular file")


def load(path: str) -> list[Recorded]:
    """The recorded results of a baseline file, each value checked."""
    _regular_file(path, "read")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise InputError(
            f"{_where(path)}: no such file; record one with {flag('update_baseline')}"
        ) from None
    except OSError as exc:
        raise InputError(f"{_where(path)}: cannot read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise InputError(f"{_where(path)}: larger than {MAX_BYTES >> 20} MiB; not a baseline")
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{_where(path)}: not UTF-8 text") from None
    except (ValueError, RecursionError) as exc:
        raise InputError(f"{_where(path)}: not valid JSON ({' '.join(str(exc).split())})") from None
    records = data.get("results") if isinstance(data, dict) else None
    if not isinstance(records, list):
        raise InputError(
            f"{_where(path)}: expected the JSON of 'losscli compute -o json' "
            '({"results": [{"loss": ..., "value": ...}, ...]})'
        )
    return [_record(r, i, path) for i, r in enumerate(records)]


def find(records: Sequence[Recorded], loss: str, check: str | None, path: str) -> Recorded | None:
    """The record of ``loss`` (in check ``check`` when records name their checks)."""
    matches = [r for r in records if r.loss == loss]
    if check is not None and any(r.check is not None for r in matches):
        matches = [r for r in matches if r.check == check]
    if len(matches) > 1:
        raise InputError(
            f"{_where(path)}: holds {len(matches)} values of {loss}; keep one per loss "
            "(or name checks in a checks file)"
        )
    return matches[0] if matches else None


def check_writable(path: str) -> None:
    """Refuse, before anything is evaluated, a baseline path that cannot be replaced."""
    _regular_file(path, "write")
    directory = os.path.dirname(os.path.realpath(path)) or "."
    if not os.access(directory, os.W_OK):
        raise InputError(f"{flag('update_baseline')} {path}: cannot write in {directory}")
