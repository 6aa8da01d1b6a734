"""Valid random inputs for every registered loss, and inputs at the numerical extremes.

``DATA`` maps each loss to a generator ``(rng, n) -> {input name: array}``; the
completeness test in test_registry_properties.py fails when a loss has none.
"""

from __future__ import annotations

import numpy as np


def _softmax(x: np.ndarray, axis: int = 1) -> np.ndarray:
    z = np.exp(x - x.max(axis=axis, keepdims=True))
    return z / z.sum(axis=axis, keepdims=True)


def real_pair(rng, n):
    targets = rng.normal(size=(n, 3)) * 3
    targets.flat[::7] = 0.0  # zeros exercise MAPE's epsilon
    return {"predictions": rng.normal(size=(n, 3)) * 3, "targets": targets}


def positive_pair(rng, n):
    return {"predictions": rng.uniform(0.1, 5, (n, 3)), "targets": rng.uniform(0.1, 5, (n, 3))}


def binary_probabilities(rng, n):
    return {
        "predictions": rng.uniform(0.01, 0.99, (n, 3)),
        "targets": rng.integers(0, 2, (n, 3)) * 1.0,
    }


def binary_logits(rng, n):
    return {"predictions": rng.normal(size=(n, 3)) * 4, "targets": rng.integers(0, 2, (n, 3)) * 1.0}


def margins(rng, n):
    return {"predictions": rng.normal(size=(n, 3)) * 2, "targets": rng.choice([-1.0, 1.0], (n, 3))}


def logits_indices(rng, n):
    return {"predictions": rng.normal(size=(n, 5)) * 3, "targets": rng.integers(0, 5, n)}


def log_probabilities_indices(rng, n):
    data = logits_indices(rng, n)
    x = data["predictions"]
    data["predictions"] = x - np.log(np.exp(x).sum(axis=1, keepdims=True))
    return data


def probabilities_one_hot(rng, n):
    p = _softmax(rng.normal(size=(n, 5)) * 2)
    return {"predictions": p, "targets": np.eye(5)[rng.integers(0, 5, n)]}


def probabilities_indices(rng, n):
    return {"predictions": _softmax(rng.normal(size=(n, 5)) * 2), "targets": rng.integers(0, 5, n)}


def scores_one_hot(rng, n):
    return {"predictions": rng.normal(size=(n, 5)), "targets": np.eye(5)[rng.integers(0, 5, n)]}


def log_rates_counts(rng, n):
    return {"predictions": rng.normal(size=(n, 3)), "targets": rng.poisson(2.0, (n, 3)) * 1.0}


def rates_counts(rng, n):
    return {"predictions": rng.uniform(0.1, 5, (n, 3)), "targets": rng.poisson(2.0, (n, 3)) * 1.0}


def gaussian(rng, n):
    return {**real_pair(rng, n), "var": rng.uniform(0.1, 3, (n, 3))}


def distributions(rng, n, log_q=False):
    q = _softmax(rng.normal(size=(n, 4)))
    p = _softmax(rng.normal(size=(n, 4)))
    p[::5, 0] = 0.0  # zeros exercise 0 log 0 = 0
    p /= p.sum(axis=1, keepdims=True)
    return {"predictions": np.log(q) if log_q else q, "targets": p}


def vectors(rng, n):
    return {"predictions": rng.normal(size=(n, 4)), "targets": rng.normal(size=(n, 4))}


def pairs_pm(rng, n):
    return {
        "x1": rng.normal(size=(n, 4)),
        "x2": rng.normal(size=(n, 4)),
        "labels": rng.choice([-1.0, 1.0], n),
    }


def masks(rng, n):
    return {"predictions": rng.uniform(size=(n, 6)), "targets": rng.integers(0, 2, (n, 6)) * 1.0}


def boxes(rng, n):
    def some():
        corner = rng.uniform(0, 10, (n, 2))
        return np.hstack([corner, corner + rng.uniform(0.5, 5, (n, 2))])

    return {"predictions": some(), "targets": some()}


def contrastive(rng, n):
    return {
        "x1": rng.normal(size=(n, 4)),
        "x2": rng.normal(size=(n, 4)) * 0.5,
        "labels": rng.integers(0, 2, n) * 1.0,
    }


def triplets(rng, n):
    return {k: rng.normal(size=(n, 4)) for k in ("anchor", "positive", "negative")}


def ranking(rng, n):
    return {
        "x1": rng.normal(size=n),
        "x2": rng.normal(size=n),
        "labels": rng.choice([-1.0, 1.0], n),
    }


def distances_pm(rng, n):
    return {"predictions": rng.uniform(0, 2, (n, 3)), "targets": rng.choice([-1.0, 1.0], (n, 3))}


def ctc(rng, n, t=12, c=5, s=4):
    log_probs = np.log(_softmax(rng.normal(size=(t, n, c)) * 2, axis=2))
    target_lengths = rng.integers(1, s + 1, n)
    targets = rng.integers(1, c, (n, s))
    input_lengths = rng.integers(2 * s, t + 1, n)
    return {
        "log_probs": log_probs,
        "targets": targets,
        "input_lengths": input_lengths,
        "target_lengths": target_lengths,
    }


DATA = {
    **dict.fromkeys(
        ["mse", "mae", "rmse", "mape", "msle", "huber", "smooth_l1", "log_cosh", "pinball"],
        real_pair,
    ),
    **dict.fromkeys(["tweedie", "poisson_deviance", "gamma_deviance", "rmsle"], positive_pair),
    **dict.fromkeys(["bce", "focal"], binary_probabilities),
    "brier": probabilities_one_hot,  # multi-class: one-hot targets (multi-label has no Brier)
    "bce_with_logits": binary_logits,
    **dict.fromkeys(["hinge", "squared_hinge", "soft_margin"], margins),
    **dict.fromkeys(["cross_entropy", "multi_margin", "poly1"], logits_indices),
    "nll": log_probabilities_indices,
    **dict.fromkeys(["categorical_crossentropy", "categorical_focal"], probabilities_one_hot),
    "sparse_categorical_crossentropy": probabilities_indices,
    "categorical_hinge": scores_one_hot,
    "poisson_nll": log_rates_counts,
    "poisson": rates_counts,
    "gaussian_nll": gaussian,
    "kl_div": lambda rng, n: distributions(rng, n, log_q=True),
    "js_divergence": distributions,
    "cosine_similarity": vectors,
    "cosine_embedding": pairs_pm,
    **dict.fromkeys(["dice", "iou", "tversky"], masks),
    **dict.fromkeys(["giou", "diou", "ciou"], boxes),
    "contrastive": contrastive,
    "triplet": triplets,
    "margin_ranking": ranking,
    "hinge_embedding": distances_pm,
    "ctc": ctc,
}

# Inputs at the edges: logits of +-1e4, probabilities of exactly 0 and 1, huge residuals.
_LOGITS = np.array([[1e4, -1e4, 0.0], [-1e4, 1e4, 3.0], [1e4, 1e4, -1e4]])
_BINARY_Y = np.array([[0.0, 1.0, 1.0], [1.0, 0.0, 0.0], [1.0, 0.0, 1.0]])
_PROBS = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
_WRONG = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 1.0]])


def extreme(name: str):
    """Inputs at the numerical edges for ``name`` (None when random data already are)."""
    real = {
        "predictions": np.array([1e4, -1e4, 1e150, -1e150, 0.0, 1e-300]),
        "targets": np.array([-1e4, 1e4, 0.0, 0.0, 0.0, 0.0]),
    }
    table = {
        "real": real,
        "bce": {"predictions": _PROBS, "targets": _BINARY_Y},
        "logits": {"predictions": _LOGITS, "targets": _BINARY_Y},
        "margins": {"predictions": _LOGITS, "targets": _BINARY_Y * 2 - 1},
        "ce": {"predictions": _LOGITS, "targets": np.array([1, 0, 2])},
        "cce": {"predictions": _PROBS, "targets": _WRONG},
        "scce": {"predictions": _PROBS, "targets": np.array([1, 2, 2])},
        "vectors": {"predictions": _LOGITS * 1e150, "targets": _LOGITS},
        "masks": {"predictions": _PROBS, "targets": _WRONG},
    }
    group = {
        **dict.fromkeys(
            ["mse", "mae", "rmse", "mape", "msle", "huber", "smooth_l1", "log_cosh", "pinball"],
            "real",
        ),
        **dict.fromkeys(["bce", "focal", "brier"], "bce"),
        "bce_with_logits": "logits",
        **dict.fromkeys(["hinge", "squared_hinge", "soft_margin"], "margins"),
        **dict.fromkeys(["cross_entropy", "multi_margin", "poly1"], "ce"),
        **dict.fromkeys(["categorical_crossentropy", "categorical_focal"], "cce"),
        "categorical_hinge": "cce",
        "sparse_categorical_crossentropy": "scce",
        "cosine_similarity": "vectors",
        **dict.fromkeys(["dice", "iou", "tversky"], "masks"),
    }.get(name)
    return None if group is None else table[group]


def pairs(params):
    """``["delta=2"]`` (the text of -p options) as (name, text) pairs."""
    return [tuple(p.split("=", 1)) for p in params]
