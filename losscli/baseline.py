"""Baseline files: the JSON `losscli compute -o json` writes, read back, rewritten atomically."""

from __future__ import annotations

import contextlib
import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from typing import Any

from losscli.errors import InputError, flag, option


def load(path: str) -> list[dict[str, Any]]:
    """The result records of a baseline file."""
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.load(fh)
    except FileNotFoundError:
        raise InputError(
            f"{option('baseline', path)}: no such file; record one with {flag('update_baseline')}"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{option('baseline', path)}: cannot read ({exc})") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{option('baseline', path)}: not valid JSON ({exc})") from None
    records = data.get("results") if isinstance(data, dict) else None
    if not isinstance(records, list) or not all(
        isinstance(r, dict) and isinstance(r.get("loss"), str) for r in records
    ):
        raise InputError(
            f"{option('baseline', path)}: expected the JSON of 'losscli compute -o json' "
            '({"results": [{"loss": ..., "value": ...}, ...]})'
        )
    return records


def find(
    records: Sequence[Mapping[str, Any]], loss: str, check: str | None, path: str
) -> Mapping[str, Any] | None:
    """The record of ``loss`` (in check ``check`` when records name their checks)."""
    matches = [r for r in records if r["loss"] == loss]
    if check is not None and any("check" in r for r in matches):
        matches = [r for r in matches if r.get("check") == check]
    if len(matches) > 1:
        raise InputError(
            f"{option('baseline', path)}: holds {len(matches)} values of {loss}; keep one per loss "
            "(or name checks in a checks file)"
        )
    return matches[0] if matches else None


def write(path: str, records: Sequence[Mapping[str, Any]]) -> None:
    """Replace ``path`` by the records in one step: readers never see half a file."""
    from losscli.render import write_results

    text = io.StringIO()
    write_results(records, "json", text)
    directory = os.path.dirname(os.path.abspath(path))
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(prefix=".losscli-baseline-", dir=directory)
        with os.fdopen(handle, "w", encoding="utf-8") as fh:
            fh.write(text.getvalue())
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(temporary, path)
        temporary = None
    except OSError as exc:
        raise InputError(f"{flag('update_baseline')} {path}: cannot write ({exc})") from None
    finally:
        if temporary is not None:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
