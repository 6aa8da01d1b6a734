"""The built-in catalogue, one module per family; each exposes ``LOSSES``, a tuple of entries.

The catalogue registers into a ``Registry`` the same way a plugin does.
"""

from __future__ import annotations

from importlib import import_module

from losscli.registry import Loss, Registry

FAMILY_MODULES = (
    "regression",
    "binary",
    "multiclass",
    "probabilistic",
    "distribution",
    "segmentation",
    "boxes",
    "metric",
    "sequence",
)


# The canonical names each family module declares, so that a command imports only the
# family it uses (tests/test_registry_properties.py checks this against the modules).
FAMILY_NAMES = {
    "regression": "mse mae rmse mape msle huber smooth_l1 log_cosh pinball rmsle",
    "binary": "bce bce_with_logits focal hinge squared_hinge soft_margin brier",
    "multiclass": "cross_entropy nll categorical_crossentropy sparse_categorical_crossentropy "
    "categorical_focal multi_margin categorical_hinge poly1",
    "probabilistic": "poisson_nll poisson gaussian_nll tweedie poisson_deviance gamma_deviance",
    "distribution": "kl_div js_divergence cosine_similarity cosine_embedding",
    "segmentation": "dice iou tversky",
    "boxes": "giou diou ciou",
    "metric": "contrastive triplet margin_ranking hinge_embedding",
    "sequence": "ctc",
}


def family_losses(family: str) -> list[Loss]:
    return list(import_module(f"losscli.losses.{family}").LOSSES)


def builtin_losses() -> list[Loss]:
    return [loss for family in FAMILY_MODULES for loss in family_losses(family)]


def register_builtins(registry: Registry) -> Registry:
    """Each family registers when one of its losses is first looked up."""
    for family in FAMILY_MODULES:

        def load(target: Registry, family: str = family) -> None:
            for loss in family_losses(family):
                target.register(loss, source="built-in")

        registry.defer(FAMILY_NAMES[family].split(), load)
    return registry
