"""Where a Figure goes: the terminal (drawn), a PNG/SVG/PDF (matplotlib), or its data as
JSON or CSV (stdout or ``--out``)."""

from __future__ import annotations

import csv
import io
import os
import shutil
from typing import IO

from losscli.errors import UsageError, option
from losscli.plots.figure import Figure

PLOT_OUTPUTS = ("terminal", "json", "csv")
DATA_EXTENSIONS = {".json": "json", ".csv": "csv"}


def data_text(figure: Figure, fmt: str) -> str:
    if fmt == "json":
        from losscli.jsonout import dumps

        return dumps(figure.to_dict()) + "\n"
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    for row in figure.rows():
        writer.writerow([repr(v) if isinstance(v, float) else v for v in row])
    return text.getvalue()


def show(figure: Figure, output: str | None, out_path: str | None, stdout: IO[str]) -> str | None:
    """Draw or write ``figure``; returns a note for stderr (where a file went), if any."""
    if out_path is not None:
        extension = os.path.splitext(out_path)[1].lower()
        if extension in DATA_EXTENSIONS:
            from losscli.export import export_text

            export_text(data_text(figure, DATA_EXTENSIONS[extension]), out_path)
        else:
            from losscli.plots.image import save

            save(figure, out_path)
        return f"wrote {out_path}"
    interactive = hasattr(stdout, "isatty") and stdout.isatty()
    fmt = output or ("terminal" if interactive else "json")
    if fmt not in PLOT_OUTPUTS:
        raise UsageError(f"{option('output', fmt)}: choose one of {', '.join(PLOT_OUTPUTS)}")
    if fmt != "terminal":
        stdout.write(data_text(figure, fmt))
        return None
    from losscli.plots.terminal import render

    color = interactive and not os.environ.get("NO_COLOR")
    color = color or bool(os.environ.get("FORCE_COLOR"))
    width = shutil.get_terminal_size((100, 24)).columns if interactive else 100
    text = render(figure, width=min(width, 160), height=18, color=color)
    if color:
        from rich.console import Console

        Console(file=stdout, highlight=False, soft_wrap=True).print(text)
    else:
        stdout.write(text + "\n")
    return None
