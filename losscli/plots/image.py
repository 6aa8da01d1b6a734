"""A Figure drawn by matplotlib into a PNG, SVG or PDF file (the ``plot`` extra)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from losscli.errors import UsageError, option
from losscli.plots.figure import Figure

IMAGE_FORMATS = (".png", ".svg", ".pdf")


def _pyplot() -> Any:
    try:
        import matplotlib
    except ImportError:
        raise UsageError(
            "writing images needs matplotlib: pip install 'losscli[plot]' "
            "(or draw in the terminal, or write the data with -o json|csv)"
        ) from None
    matplotlib.use("Agg")  # files only: no window, no display needed
    import matplotlib.pyplot as plt

    return plt


def save(figures: Sequence[Figure], path: str, width: float = 8.0, height: float = 4.5) -> None:
    """Write ``figures`` into one file at ``path``, one panel each, stacked (its extension
    picks PNG, SVG or PDF); the file is replaced only once it is whole."""
    import io

    from losscli.render.export import export_text

    extension = os.path.splitext(path)[1].lower()
    if extension not in IMAGE_FORMATS:
        raise UsageError(f"{option('out', path)}: name a file ending in .png, .svg or .pdf")
    plt = _pyplot()
    fig, axes = plt.subplots(
        len(figures), 1, figsize=(width, height * len(figures)), dpi=100, squeeze=False
    )
    try:
        for figure, ax in zip(figures, axes[:, 0]):
            _draw(fig, ax, figure, len(figures))
        fig.tight_layout(rect=(0, 0.04 / len(figures), 1, 1))
        image = io.BytesIO()
        fig.savefig(image, format=extension[1:], metadata=_metadata(extension))
    finally:
        plt.close(fig)
    export_text(image.getvalue(), path)


def _draw(fig: Any, ax: Any, figure: Figure, panels: int) -> None:
    for s in figure.series:
        if s.kind == "line":
            ax.plot(s.x, s.y, label=s.label)
        elif s.kind == "points":
            ax.scatter(s.x, s.y, s=6, alpha=0.6, label=s.label)
        elif s.kind == "bars":
            widths = [b - a for a, b in zip(s.x[:-1], s.x[1:])]
            ax.bar(s.x[:-1], s.y, width=widths, align="edge", alpha=0.7, label=s.label)
        elif s.kind == "density" and s.z is not None:
            from matplotlib.colors import LogNorm

            counts = [[c if c else float("nan") for c in row] for row in s.z]
            mesh = ax.pcolormesh(
                s.x, s.y, list(map(list, zip(*counts))), norm=LogNorm(), cmap="viridis"
            )
            fig.colorbar(mesh, ax=ax, label=s.label)
        elif s.kind == "errorbars":
            assert s.low is not None and s.high is not None
            below = [y - lo for y, lo in zip(s.y, s.low)]
            above = [hi - y for y, hi in zip(s.y, s.high)]
            ax.errorbar(s.x, s.y, yerr=[below, above], fmt="o", capsize=3, label=s.label)
    for k, m in enumerate(figure.marks):
        color = f"C{(len(figure.series) + k) % 10}"
        if m.y is None:
            ax.axvline(m.x, linestyle="--", linewidth=1, color=color, label=m.label)
        else:
            ax.plot([m.x], [m.y], marker="x", color=color, label=m.label)
    if figure.x_ticks:
        ax.set_xticks(range(len(figure.x_ticks)), figure.x_ticks, rotation=45, ha="right")
    if figure.x_log:
        ax.set_xscale("log")
    if figure.y_log:
        ax.set_yscale("log")
    ax.set_title(figure.title)
    ax.set_xlabel(figure.x_label)
    ax.set_ylabel(figure.y_label)
    if figure.facts:
        text = "   ".join(f"{k}: {_fact(v)}" for k, v in figure.facts.items())
        ax.text(
            0.0,
            -0.22 * (1 if panels == 1 else 1.1),
            text,
            fontsize=8,
            color="0.3",
            transform=ax.transAxes,
        )
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def _metadata(extension: str) -> dict[str, Any]:
    """No dates or versions in the files, so that the same data gives the same bytes."""
    if extension == ".svg":
        return {"Date": None, "Creator": "losscli"}
    if extension == ".pdf":
        return {"CreationDate": None, "Creator": "losscli", "Producer": "losscli"}
    return {"Software": "losscli"}


def _fact(value: object) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)
