"""A Figure drawn with text: braille dots for lines and points (2 x 4 dots a character),
block characters for histogram bars, a labelled frame, a legend and the figure's facts.
Colours mark the series unless ``NO_COLOR`` is set or the output is not a terminal."""

from __future__ import annotations

import math
from collections.abc import Sequence

from losscli.plots.figure import Figure, Series

_BRAILLE = 0x2800
_DOT = ((0x01, 0x08), (0x02, 0x10), (0x04, 0x20), (0x40, 0x80))  # [row][column] in a cell
_BLOCKS = " ▁▂▃▄▅▆▇█"
COLORS = ("cyan", "magenta", "green", "yellow", "blue", "red", "bright_white")
MARK_COLOR = "bright_black"


def _fmt(value: float) -> str:
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    return f"{value:.3g}" if 1e-3 <= abs(value) < 1e5 else f"{value:.2e}"


class _Scale:
    def __init__(self, low: float, high: float, cells: int, log: bool) -> None:
        self.log = log
        low, high = (math.log10(low), math.log10(high)) if log else (low, high)
        if not high > low:
            low, high = low - 0.5, high + 0.5
        self.low, self.high, self.cells = low, high, cells

    def __call__(self, value: float) -> float:
        v = math.log10(value) if self.log else value
        return (v - self.low) / (self.high - self.low) * self.cells

    def value(self, position: float) -> float:
        v = self.low + position / self.cells * (self.high - self.low)
        return 10**v if self.log else v


def _finite(values: Sequence[float], log: bool) -> list[float]:
    return [v for v in values if math.isfinite(v) and (v > 0 or not log)]


def _bounds(figure: Figure) -> tuple[float, float, float, float]:
    xs: list[float] = []
    ys: list[float] = []
    for s in figure.series:
        xs += _finite(s.x, figure.x_log)
        ys += _finite(s.y, figure.y_log)
        ys += _finite(s.low or (), figure.y_log) + _finite(s.high or (), figure.y_log)
        if s.kind == "bars" and not figure.y_log:
            ys.append(0.0)
    xs += [m.x for m in figure.marks if math.isfinite(m.x)]
    if figure.x_ticks:  # categories: half a slot of room on either side
        xs = [-0.5, len(figure.x_ticks) - 0.5]
    if not xs or not ys:
        return 0.0, 1.0, 0.0, 1.0
    return min(xs), max(xs), min(ys), max(ys)


def render(figure: Figure, width: int = 80, height: int = 20, color: bool = True) -> str:
    """The figure as lines of text ``width`` characters wide (rich markup when ``color``)."""
    label_width = 9
    plot_w = max(10, width - label_width - 2)
    plot_h = max(4, height)
    x0, x1, y0, y1 = _bounds(figure)
    sx = _Scale(x0, x1, plot_w * 2 - 1, figure.x_log)
    sy = _Scale(y0, y1, plot_h * 4 - 1, figure.y_log)
    dots = [[0] * plot_w for _ in range(plot_h)]
    chars: list[list[str | None]] = [[None] * plot_w for _ in range(plot_h)]
    owner: list[list[int]] = [[-1] * plot_w for _ in range(plot_h)]

    def dot(px: float, py: float, who: int) -> None:
        col, row = int(round(px)), int(round(py))
        if not (0 <= col < plot_w * 2 and 0 <= row < plot_h * 4):
            return
        cell_row = plot_h - 1 - row // 4
        dots[cell_row][col // 2] |= _DOT[3 - row % 4][col % 2]
        owner[cell_row][col // 2] = who

    def segment(ax: float, ay: float, bx: float, by: float, who: int) -> None:
        steps = int(max(abs(bx - ax), abs(by - ay))) + 1
        for k in range(steps + 1):
            t = k / steps
            dot(ax + (bx - ax) * t, ay + (by - ay) * t, who)

    for who, s in enumerate(figure.series):
        _draw(s, who, sx, sy, dot, segment, chars, owner, plot_h, figure)
    # Marks go over everything: a dotted column topped by a letter named in the legend.
    placed = []
    for k, m in enumerate(figure.marks):
        if not math.isfinite(m.x) or (figure.x_log and m.x <= 0):
            continue
        col = min(plot_w - 1, max(0, int(round(sx(m.x))) // 2))
        row = 0
        if m.y is not None:
            row = min(plot_h - 1, max(0, plot_h - 1 - int(round(sy(m.y))) // 4))
        else:
            for r in range(plot_h):
                chars[r][col], owner[r][col] = "┊", -2
        placed.append((row, col, k))
    for row, col, k in placed:
        chars[row][col], owner[row][col] = _letter(k), -2
    lines = [f"[bold]{_escape(figure.title)}[/bold]" if color else figure.title]

    def y_text(position: float) -> str:
        value = sy.value(position)
        tiny = not figure.y_log and abs(value) < 1e-6 * abs(sy.high - sy.low)
        return "0" if tiny else _fmt(value)

    y_labels = {0: y_text(plot_h * 4 - 1), plot_h - 1: y_text(0)}
    y_labels[plot_h // 2] = y_text((plot_h - 1 - plot_h // 2) * 4 + 2)
    for r in range(plot_h):
        text = []
        for c in range(plot_w):
            ch = chars[r][c] or (chr(_BRAILLE + dots[r][c]) if dots[r][c] else " ")
            who = owner[r][c]
            if color and ch != " ":
                style = MARK_COLOR if who == -2 else COLORS[who % len(COLORS)]
                ch = f"[{style}]{_escape(ch)}[/{style}]"
            text.append(ch)
        lines.append(f"{y_labels.get(r, ''):>{label_width}} ┤" + "".join(text))
    lines.append(" " * label_width + " └" + "─" * plot_w)
    lines.append(_x_axis(figure, sx, plot_w, label_width))
    axes = f"{figure.x_label}   (y: {figure.y_label})"
    lines.append(f"{'':>{label_width}}  {_escape(axes) if color else axes}")
    lines += _legend(figure, color)
    return "\n".join(lines)


def _letter(k: int) -> str:
    return "abcdefghijklmnopqrstuvwxyz"[k % 26]


def _escape(text: str) -> str:
    """Text as rich markup shows it literally."""
    return text.replace("[", "\\[")


_SHADES = " ░▒▓█"


def _draw(s: Series, who: int, sx, sy, dot, segment, chars, owner, plot_h, figure) -> None:  # noqa: ANN001
    if s.kind == "density" and s.z is not None:
        plot_w = len(chars[0])
        cells = [[0.0] * plot_w for _ in range(plot_h)]
        for i, row in enumerate(s.z):
            for j, count in enumerate(row):
                if count:
                    x = (s.x[i] + s.x[i + 1]) / 2
                    y = (s.y[j] + s.y[j + 1]) / 2
                    col, line = int(sx(x)) // 2, plot_h - 1 - int(sy(y)) // 4
                    if 0 <= col < plot_w and 0 <= line < plot_h:
                        cells[line][col] += count
        top = max((max(r) for r in cells), default=0.0) or 1.0
        for line in range(plot_h):
            for col in range(plot_w):
                if cells[line][col]:
                    # shades on a log scale: a lone row still shows
                    level = 1 + int(3.999 * math.log1p(cells[line][col]) / math.log1p(top))
                    chars[line][col], owner[line][col] = _SHADES[min(level, 4)], who
        return
    if s.kind == "bars":
        for i, count in enumerate(s.y):
            left, right = s.x[i], s.x[i + 1]
            if figure.x_log and left <= 0:
                continue
            top = sy(count) / 4 if count > 0 else 0.0
            for col in range(int(sx(left)) // 2, max(int(sx(left)) // 2 + 1, int(sx(right)) // 2)):
                if not 0 <= col < len(chars[0]):
                    continue
                full, part = int(top), int((top - int(top)) * 8)
                for k in range(full):
                    if k < plot_h:
                        chars[plot_h - 1 - k][col], owner[plot_h - 1 - k][col] = "█", who
                if part and full < plot_h:
                    chars[plot_h - 1 - full][col], owner[plot_h - 1 - full][col] = (
                        _BLOCKS[part],
                        who,
                    )
        return
    points = [
        (x, y)
        for x, y in zip(s.x, s.y)
        if math.isfinite(x)
        and math.isfinite(y)
        and (x > 0 or not figure.x_log)
        and (y > 0 or not figure.y_log)
    ]
    if s.kind == "line":
        for (ax, ay), (bx, by) in zip(points, points[1:]):
            segment(sx(ax), sy(ay), sx(bx), sy(by), who)
    else:
        for x, y in points:
            dot(sx(x), sy(y), who)
    if s.low is not None and s.high is not None:
        for x, y, low, high in zip(s.x, s.y, s.low, s.high):
            if math.isfinite(low) and math.isfinite(high):
                segment(sx(x), sy(low), sx(x), sy(high), who)
            col, row = int(round(sx(x))) // 2, plot_h - 1 - int(round(sy(y))) // 4
            if 0 <= col < len(chars[0]) and 0 <= row < plot_h:
                chars[row][col], owner[row][col] = "●", who


def _x_axis(figure: Figure, sx: _Scale, plot_w: int, label_width: int) -> str:
    axis = [" "] * plot_w
    if figure.x_ticks:
        for position, name in enumerate(figure.x_ticks):
            col = int(sx(position)) // 2
            text = name[: max(1, plot_w // max(1, len(figure.x_ticks)) - 1)]
            col = max(0, col - len(text) // 2)
            for k, ch in enumerate(text):
                if 0 <= col + k < plot_w:
                    axis[col + k] = ch
        return " " * (label_width + 2) + "".join(axis)
    middle = sx.value(sx.cells / 2)
    if not sx.log and abs(middle) < 1e-9 * abs(sx.high - sx.low):
        middle = 0.0
    ticks = [(0, _fmt(sx.value(0))), (plot_w // 2, _fmt(middle))]
    ticks.append((plot_w - 1, _fmt(sx.value(sx.cells))))
    for col, text in ticks:
        start = min(max(0, col - len(text) // 2), plot_w - len(text))
        for k, ch in enumerate(text):
            axis[start + k] = ch
    return " " * (label_width + 2) + "".join(axis)


def _legend(figure: Figure, color: bool) -> list[str]:
    out = []
    for who, s in enumerate(figure.series):
        style = COLORS[who % len(COLORS)]
        swatch = "█" if s.kind == "bars" else "⣿"
        swatch = f"[{style}]{swatch}[/{style}]" if color else swatch
        out.append(f"  {swatch} {_escape(s.label) if color else s.label}")
    for k, m in enumerate(figure.marks):
        where = f"x = {_fmt(m.x)}" + ("" if m.y is None else f", y = {_fmt(m.y)}")
        swatch = f"[{MARK_COLOR}]{_letter(k)}[/{MARK_COLOR}]" if color else _letter(k)
        label = _escape(m.label) if color else m.label
        out.append(f"  {swatch} {label}: {where}")
    if figure.facts:
        facts = "   ".join(f"{k}: {_fact(v)}" for k, v in figure.facts.items())
        out.append("  " + (_escape(facts) if color else facts))
    return out


def _fact(value: object) -> str:
    return _fmt(value) if isinstance(value, float) else str(value)
