"""The one builder of tables for people (a terminal, a CI log), and the one way they are
printed. Cells arrive as text; numbers are formatted by ``render.numbers`` first."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import IO, Any


def table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    right: Collection[str] | None = None,
    left: Collection[str] | None = None,
    title: str | None = None,
    caption: str | None = None,
    no_wrap: Collection[str] = (),
    plain: bool = False,
) -> Any:
    """A rich table: columns named by ``header``, aligned right when named in ``right``
    (or, given ``left``, everywhere but there), else left; ``plain``: no box, bold header."""
    from rich.table import Table

    settings: dict[str, Any] = {"box": None, "header_style": "bold"} if plain else {}
    built = Table(title=title, caption=caption, **settings)
    for name in header:
        at_right = name in right if right is not None else (left is not None and name not in left)
        built.add_column(name, justify="right" if at_right else "left", no_wrap=name in no_wrap)
    for row in rows:
        built.add_row(*row)
    return built


def print_rich(renderable: Any, out: IO[str]) -> None:
    """Print a table (or any rich renderable): full width off a terminal, where nothing is
    gained by squeezing into 80 columns (files, CI logs, pipes)."""
    from rich.console import Console

    interactive = hasattr(out, "isatty") and out.isatty()
    width = None if interactive else 200
    Console(file=out, highlight=False, soft_wrap=False, width=width).print(renderable)


__all__ = ["print_rich", "table"]
