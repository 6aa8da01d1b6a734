"""Bounding-box regression losses on (N, 4) boxes given as x1, y1, x2, y2 (torchvision)."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from losscli.losses._common import any_per_row, rows_of
from losscli.registry import Check, Input, Loss

EPS = 1e-7  # torchvision's default
BOX_INPUTS = (
    Input("predictions", ("N", "B"), "predicted boxes, 4 columns: x1, y1, x2, y2"),
    Input("targets", ("N", "B"), "true boxes, 4 columns: x1, y1, x2, y2"),
)


def _parts(predictions: np.ndarray, targets: np.ndarray) -> dict[str, np.ndarray]:
    x1, y1, x2, y2 = predictions.T
    a1, b1, a2, b2 = targets.T
    iw = np.minimum(x2, a2) - np.maximum(x1, a1)
    ih = np.minimum(y2, b2) - np.maximum(y1, b1)
    inter = np.where((iw > 0) & (ih > 0), iw * ih, 0.0)
    union = (x2 - x1) * (y2 - y1) + (a2 - a1) * (b2 - b1) - inter
    iou = inter / (union + EPS)
    cw = np.maximum(x2, a2) - np.minimum(x1, a1)
    ch = np.maximum(y2, b2) - np.minimum(y1, b1)
    return {"iou": iou, "union": union, "cw": cw, "ch": ch}


def giou(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Generalized IoU loss per box (torchvision generalized_box_iou_loss).

    C = smallest enclosing box;  l = 1 - IoU + (|C| - |A u B|) / |C|

    >>> giou(np.array([[0.0, 0, 1, 1]]), np.array([[2.0, 0, 3, 1]]))  # 1 + (3 - 2) / 3
    array([1.33333332])
    """
    s = _parts(predictions, targets)
    area_c = s["cw"] * s["ch"]
    return 1.0 - s["iou"] + (area_c - s["union"]) / (area_c + EPS)


def _center_term(predictions: np.ndarray, targets: np.ndarray, s: dict[str, np.ndarray]):
    diagonal = s["cw"] ** 2 + s["ch"] ** 2 + EPS
    dx = (predictions[:, 0] + predictions[:, 2] - targets[:, 0] - targets[:, 2]) / 2
    dy = (predictions[:, 1] + predictions[:, 3] - targets[:, 1] - targets[:, 3]) / 2
    return (dx * dx + dy * dy) / diagonal


def diou(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Distance IoU loss per box (torchvision distance_box_iou_loss).

    l = 1 - IoU + rho^2 / c^2,  rho = distance of the centres, c = diagonal of the enclosing box

    >>> diou(np.array([[0.0, 0, 1, 1]]), np.array([[2.0, 0, 3, 1]]))  # 1 + 2^2 / (3^2 + 1^2)
    array([1.4])
    """
    s = _parts(predictions, targets)
    return 1.0 - s["iou"] + _center_term(predictions, targets, s)


def ciou(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """Complete IoU loss per box (torchvision complete_box_iou_loss).

    v = 4 / pi^2 (atan(w_t / h_t) - atan(w_p / h_p))^2;  a = v / (1 - IoU + v);
    l = 1 - IoU + rho^2 / c^2 + a v

    >>> ciou(np.array([[0.0, 0, 2, 1]]), np.array([[2.0, 0, 3, 1]]))  # doctest: +ELLIPSIS
    array([1.2266...])
    """
    s = _parts(predictions, targets)
    wp, hp = predictions[:, 2] - predictions[:, 0], predictions[:, 3] - predictions[:, 1]
    wt, ht = targets[:, 2] - targets[:, 0], targets[:, 3] - targets[:, 1]
    v = (4.0 / math.pi**2) * (np.arctan(wt / ht) - np.arctan(wp / hp)) ** 2
    alpha = v / (1.0 - s["iou"] + v + EPS)
    return 1.0 - s["iou"] + _center_term(predictions, targets, s) + alpha * v


def _ref_box(kind: str):
    def reference(predictions, targets):
        out = []
        for (x1, y1, x2, y2), (a1, b1, a2, b2) in zip(rows_of(predictions), rows_of(targets)):
            iw, ih = min(x2, a2) - max(x1, a1), min(y2, b2) - max(y1, b1)
            inter = iw * ih if iw > 0 and ih > 0 else 0.0
            union = (x2 - x1) * (y2 - y1) + (a2 - a1) * (b2 - b1) - inter
            iou = inter / (union + EPS)
            cw, ch = max(x2, a2) - min(x1, a1), max(y2, b2) - min(y1, b1)
            if kind == "giou":
                out.append(1 - iou + (cw * ch - union) / (cw * ch + EPS))
                continue
            rho = ((x1 + x2 - a1 - a2) / 2) ** 2 + ((y1 + y2 - b1 - b2) / 2) ** 2
            loss = 1 - iou + rho / (cw * cw + ch * ch + EPS)
            if kind == "ciou":
                v = (
                    4
                    / math.pi**2
                    * (math.atan((a2 - a1) / (b2 - b1)) - math.atan((x2 - x1) / (y2 - y1))) ** 2
                )
                loss += v / (1 - iou + v + EPS) * v
            out.append(loss)
        return np.array(out)

    return reference


def _not_four(predictions: np.ndarray, **_: Any) -> np.ndarray:
    return np.full(len(predictions), predictions.shape[1] != 4)


def _inverted(predictions: np.ndarray, targets: np.ndarray, **_: Any) -> np.ndarray:
    bad = (predictions[:, 2] < predictions[:, 0]) | (predictions[:, 3] < predictions[:, 1])
    return any_per_row(bad | (targets[:, 2] <= targets[:, 0]) | (targets[:, 3] <= targets[:, 1]))


def _box_checks(name: str) -> tuple[Check, ...]:
    return (
        Check(
            rows=_not_four,
            error=True,
            input="predictions",
            message=f"{name} expects boxes of 4 columns (x1, y1, x2, y2); predictions "
            "({origin}) rows look like {value}",
        ),
        Check(
            rows=_inverted,
            message="{count} of {n} rows have boxes with x2 < x1 or y2 < y1 (first: row {row}); "
            f"{name} expects corners x1, y1, x2, y2, not x, y, width, height",
        ),
    )


_PROPS = frozenset({"nonnegative"})

LOSSES = (
    Loss(
        name="giou",
        aliases=("generalized_box_iou_loss", "giou_loss"),
        family="boxes",
        summary="Generalized IoU loss for boxes: useful even when boxes do not overlap.",
        inputs=BOX_INPUTS,
        fn=giou,
        reference=_ref_box("giou"),
        convention="PyTorch",
        convention_detail="torchvision.ops.generalized_box_iou_loss(eps=1e-7).",
        when_to_use="Bounding-box regression in detectors (DETR uses it with L1).",
        checks=_box_checks("giou"),
        properties=_PROPS,
    ),
    Loss(
        name="diou",
        aliases=("distance_box_iou_loss", "diou_loss"),
        family="boxes",
        summary="Distance IoU loss: IoU plus the normalised distance of the centres.",
        inputs=BOX_INPUTS,
        fn=diou,
        reference=_ref_box("diou"),
        convention="PyTorch",
        convention_detail="torchvision.ops.distance_box_iou_loss(eps=1e-7).",
        when_to_use="Box regression that should converge faster than GIoU by pulling "
        "centres together.",
        checks=_box_checks("diou"),
        properties=_PROPS,
    ),
    Loss(
        name="ciou",
        aliases=("complete_box_iou_loss", "ciou_loss"),
        family="boxes",
        summary="Complete IoU loss: DIoU plus an aspect-ratio consistency term.",
        inputs=BOX_INPUTS,
        fn=ciou,
        reference=_ref_box("ciou"),
        convention="PyTorch",
        convention_detail="torchvision.ops.complete_box_iou_loss(eps=1e-7).",
        when_to_use="Box regression in YOLO-family detectors, where aspect ratio matters.",
        checks=_box_checks("ciou"),
        properties=_PROPS,
    ),
)
