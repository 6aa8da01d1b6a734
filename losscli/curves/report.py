"""A run's reading: final and best values, Keras early stopping, diagnoses; and its
renderings (table rows, the gate report, a chart)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from losscli.curves.diagnose import Thresholds, diagnose
from losscli.curves.early_stopping import keras_early_stopping
from losscli.curves.logs import Curve, Run
from losscli.curves.smoothing import tensorboard_smooth
from losscli.plots.figure import Figure, Mark, Series
from losscli.render.gate_report import Case, GateReport
from losscli.render.numbers import number_text


def _last(curve: Curve | None) -> float | None:
    return None if curve is None or not len(curve.y) else float(curve.y[-1])


def read(run: Run, thresholds: Thresholds, es_min_delta: float, es_patience: int) -> dict[str, Any]:
    """Everything ``losscli curve`` says of one run, as plain data."""
    monitor = run.val if run.val is not None else run.train
    assert monitor is not None
    out: dict[str, Any] = {"run": run.name, "x": run.x_name}
    out["points"] = {c.name: len(c.y) for c in run.curves()}
    out["final"] = {c.name: _last(c) for c in run.curves()}
    finite = np.isfinite(monitor.y)
    if finite.any():
        i = int(np.flatnonzero(finite)[np.argmin(monitor.y[finite])])
        out["best"] = {
            "series": monitor.name,
            "x": float(monitor.x[i]),
            "value": float(monitor.y[i]),
        }
    else:
        out["best"] = None
    stop = keras_early_stopping(monitor.y.tolist(), es_min_delta, es_patience)
    out["early_stopping"] = {
        "monitor": monitor.name,
        "patience": es_patience,
        "min_delta": es_min_delta,
        "stops_at": None if stop.stopped is None else float(monitor.x[stop.stopped]),
        "keeps": None if stop.best is None else float(monitor.x[stop.best]),
    }
    out["diagnoses"] = diagnose(run, thresholds)
    return out


def names(reading: dict[str, Any]) -> list[str]:
    return [d["name"] for d in reading["diagnoses"]]


def table_rows(readings: Sequence[dict[str, Any]]) -> tuple[list[str], list[list[str]]]:
    header = ["run", "points", "final train", "final val", "best", "at", "stops at", "keeps"]
    header.append("diagnoses")
    rows = []
    for r in readings:
        final = list(r["final"].values())
        train_final = final[0] if len(final) else None
        val_final = final[1] if len(final) > 1 else None
        best = r["best"] or {}
        es = r["early_stopping"]
        rows.append(
            [
                r["run"],
                number_text(max(r["points"].values())),
                number_text(train_final),
                number_text(val_final),
                number_text(best.get("value")),
                number_text(best.get("x")),
                number_text(es["stops_at"]) or "-",
                number_text(es["keeps"]),
                ", ".join(names(r)),
            ]
        )
    return header, rows


def evidence_lines(readings: Sequence[dict[str, Any]]) -> list[str]:
    lines = []
    for r in readings:
        for d in r["diagnoses"]:
            if d["name"] == "healthy":
                continue
            where = "" if d["where"] is None else f" from {r['x']} {number_text(d['where'])}"
            if d["name"] == "nan":
                measured = f"{d.get('series', 'loss')} is {number_text(d['statistic'])}"
            else:
                measured = f"{number_text(d['statistic'])} against {number_text(d['threshold'])}"
            lines.append(f"{r['run']}: {d['name']}{where} ({measured}): {d['advice']}")
    return lines


def gate_report(readings: Sequence[dict[str, Any]], failing: Sequence[str]) -> GateReport:
    """One case per run: it fails when a diagnosis named in ``failing`` holds."""
    header, rows = table_rows(readings)
    cases = []
    for r in readings:
        held = [d for d in r["diagnoses"] if d["name"] in failing]
        evidence = evidence_lines([{**r, "diagnoses": held}])
        cases.append(
            Case(
                name=r["run"],
                verdict="fail" if held else "pass",
                message="; ".join(evidence),
                detail="\n".join(evidence),
                classname="losscli.curve",
            )
        )
    bad = sum(c.verdict == "fail" for c in cases)
    return GateReport(
        gate="losscli curve",
        summary=f"{bad} of {len(readings)} runs fail" if bad else "passed",
        cases=cases,
        header=header,
        rows=rows,
        notes=evidence_lines(readings),
    )


def chart(runs: Sequence[Run], readings: Sequence[dict[str, Any]], smooth: float) -> Figure:
    """Train and validation, raw and smoothed; for one run, its best epoch, early stop and
    diagnoses marked; for several, each run's smoothed curves."""
    series: list[Series] = []
    marks: list[Mark] = []
    for run, reading in zip(runs, readings):
        prefix = f"{run.name}: " if len(runs) > 1 else ""
        for curve in run.curves():
            y = np.where(np.isfinite(curve.y), curve.y, np.nan)
            if len(runs) == 1:
                series.append(Series(f"{curve.name}", "points", curve.x.tolist(), y.tolist()))
            smoothed = tensorboard_smooth(curve.y, smooth)
            label = f"{prefix}{curve.name} (smoothed {smooth:g})"
            series.append(Series(label, "line", curve.x.tolist(), smoothed.tolist()))
        if len(runs) == 1:
            if reading["best"]:
                marks.append(Mark(f"best {reading['best']['series']}", reading["best"]["x"]))
            es = reading["early_stopping"]
            if es["stops_at"] is not None:
                marks.append(Mark("early stopping stops", es["stops_at"]))
            for d in reading["diagnoses"]:
                if d["name"] != "healthy" and d["where"] is not None:
                    marks.append(Mark(d["name"], float(d["where"])))
    title = "Loss curves" if len(runs) > 1 else f"Loss curve: {runs[0].name}"
    facts = {"diagnoses": "; ".join(f"{r['run']}: {', '.join(names(r))}" for r in readings)}
    positive = all(
        (np.asarray(c.y)[np.isfinite(c.y)] > 0).all() for run in runs for c in run.curves()
    )
    spread = [
        float(np.nanmax(c.y[np.isfinite(c.y)]) / np.nanmin(c.y[np.isfinite(c.y)]))
        for run in runs
        for c in run.curves()
        if np.isfinite(c.y).any() and positive
    ]
    return Figure(
        title=title,
        x_label=runs[0].x_name,
        y_label="loss",
        series=tuple(series),
        marks=tuple(marks),
        y_log=positive and bool(spread) and max(spread) > 100,
        facts=facts,
    )
