"""Where a Figure goes: the terminal (drawn), a PNG/SVG/PDF (matplotlib), or its data as
JSON or CSV (stdout or ``--out``)."""

from __future__ import annotations

import csv
import io
import os
import shutil
from collections.abc import Sequence
from typing import IO

from losscli.errors import UsageError, option
from losscli.plots.figure import Figure

PLOT_OUTPUTS = ("terminal", "json", "csv")
DATA_EXTENSIONS = {".json": "json", ".csv": "csv"}


def data_text(figures: Sequence[Figure], fmt: str) -> str:
    """The plotted data: one figure's JSON object (several: ``{"figures": [...]}``), or
    CSV rows (with a ``figure`` column first when there are several)."""
    if fmt == "json":
        from losscli.render.jsonout import dumps

        if len(figures) == 1:
            return dumps(figures[0].to_dict()) + "\n"
        return dumps({"figures": [f.to_dict() for f in figures]}) + "\n"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    for number, figure in enumerate(figures):
        for position, row in enumerate(figure.rows()):
            if position == 0 and number:
                continue  # one header
            cells = [repr(v) if isinstance(v, float) else v for v in row]
            if len(figures) > 1:
                cells.insert(0, "figure" if position == 0 else figure.title)
            writer.writerow(cells)
    return text.getvalue()


def check_chart_path(path: str) -> None:
    """Refuse an ``--out`` that cannot take a chart before anything is computed or printed."""
    from losscli.plots.image import IMAGE_FORMATS

    extension = os.path.splitext(path)[1].lower()
    if os.path.isdir(path) or extension not in (*IMAGE_FORMATS, *DATA_EXTENSIONS):
        raise UsageError(
            f"{option('out', path)}: name a file ending in .png, .svg, .pdf, .json or .csv"
        )


def show(
    figures: Sequence[Figure], output: str | None, out_path: str | None, stdout: IO[str]
) -> list[str]:
    """Draw or write ``figures``; returns notes for stderr (where files went)."""
    if out_path is not None:
        extension = os.path.splitext(out_path)[1]
        if extension.lower() in DATA_EXTENSIONS:
            from losscli.render.export import export_text

            export_text(data_text(figures, DATA_EXTENSIONS[extension.lower()]), out_path)
            return [f"wrote {out_path}"]
        from losscli.plots.image import save

        save(figures, out_path)
        return [f"wrote {out_path}"]
    interactive = hasattr(stdout, "isatty") and stdout.isatty()
    fmt = output or ("terminal" if interactive else "json")
    if fmt not in PLOT_OUTPUTS:
        raise UsageError(f"{option('output', fmt)}: choose one of {', '.join(PLOT_OUTPUTS)}")
    if fmt != "terminal":
        stdout.write(data_text(figures, fmt))
        return []
    from losscli.plots.terminal import render

    color = interactive and not os.environ.get("NO_COLOR")
    color = color or bool(os.environ.get("FORCE_COLOR"))
    width = shutil.get_terminal_size((100, 24)).columns if interactive else 100
    for figure in figures:
        text = render(figure, width=min(width, 160), height=18, color=color)
        if color:
            from rich.console import Console

            Console(file=stdout, highlight=False, soft_wrap=True).print(text)
        else:
            stdout.write(text + "\n")
    return []
