"""A baseline file written: the records of a check run, as ``compute -o json`` writes them,
replacing the file in one step."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

from losscli.checks.baseline import check_writable
from losscli.render.export import export_text
from losscli.render.results import write_results


def write_baseline(path: str, records: Sequence[dict[str, Any]]) -> None:
    """Replace ``path`` by the records in one step: readers never see half a file.

    A symbolic link is followed (its target is replaced), the file keeps its mode, and the
    bytes are on the disk before the rename. What a killed run left beside it is removed
    first (see ``losscli.tempfiles.beside``).
    """
    check_writable(path)
    text = io.StringIO()
    write_results(records, "json", text)
    export_text(text.getvalue(), path, "baseline", durable=True)
