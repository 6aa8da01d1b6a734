"""Matching arrays against the shape patterns that loss inputs declare."""

from __future__ import annotations

from collections.abc import Mapping

from losscli.errors import InputError
from losscli.registry import Input


def _fmt(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(d) for d in shape) + (",)" if len(shape) == 1 else ")")


def match_shapes(
    inputs: tuple[Input, ...],
    shapes: Mapping[str, tuple[int, ...]],
    origins: Mapping[str, str],
    loss_name: str,
) -> dict[str, tuple[int, ...]]:
    """Bind every dimension symbol of ``inputs`` to the sizes in ``shapes``.

    Raises an ``InputError`` naming both inputs when two disagree, or naming the input and
    the shape it should have when an array has the wrong number of dimensions.
    """
    bound: dict[str, tuple[int, ...]] = {}
    first_seen: dict[str, str] = {}
    for spec in inputs:
        if spec.name not in shapes:
            continue
        shape = tuple(shapes[spec.name])
        patterns = [spec.shape] + ([spec.alt_shape] if spec.alt_shape is not None else [])
        errors: list[InputError] = []
        for pattern in patterns:
            try:
                dims = _split(spec, pattern, shape, origins, loss_name)
                _unify(dims, spec.name, bound, first_seen, shapes, origins, loss_name)
                break
            except InputError as exc:
                errors.append(exc)
        else:
            raise errors[0]
    return bound


def _unify(
    dims: dict[str, tuple[int, ...]],
    name: str,
    bound: dict[str, tuple[int, ...]],
    first_seen: dict[str, str],
    shapes: Mapping[str, tuple[int, ...]],
    origins: Mapping[str, str],
    loss_name: str = "",
) -> None:
    for symbol, value in dims.items():
        if symbol in bound and bound[symbol] != value:
            said = _disagreement(symbol, first_seen[symbol], name, shapes, origins)
            raise InputError(f"{loss_name}: {said}" if loss_name else said)
    for symbol, value in dims.items():
        bound.setdefault(symbol, value)
        first_seen.setdefault(symbol, name)


def _split(
    spec: Input,
    pattern: tuple[str, ...],
    shape: tuple[int, ...],
    origins: Mapping[str, str],
    loss_name: str,
) -> dict[str, tuple[int, ...]]:
    star = [i for i, s in enumerate(pattern) if s.startswith("*")]
    fixed = len(pattern) - len(star)
    if (not star and len(shape) != fixed) or (star and len(shape) < fixed):
        raise InputError(
            f"{spec.name} ({origins.get(spec.name, '?')}) has shape {_fmt(shape)}, but "
            f"{loss_name} expects {spec.name} of shape {spec.shape_text()}"
        )
    out: dict[str, tuple[int, ...]] = {}
    if not star:
        for symbol, size in zip(pattern, shape):
            out[symbol] = (size,)
        return out
    k = star[0]
    tail = len(pattern) - k - 1
    for symbol, size in zip(pattern[:k], shape[:k]):
        out[symbol] = (size,)
    out[pattern[k][1:]] = tuple(shape[k : len(shape) - tail])
    for symbol, size in zip(pattern[k + 1 :], shape[len(shape) - tail :]):
        out[symbol] = (size,)
    return out


def _disagreement(
    symbol: str,
    first: str,
    second: str,
    shapes: Mapping[str, tuple[int, ...]],
    origins: Mapping[str, str],
) -> str:
    a, b = tuple(shapes[first]), tuple(shapes[second])
    if symbol == "N":
        return (
            f"row counts disagree: {first} ({origins.get(first, '?')}) has {a[0]} rows, "
            f"{second} ({origins.get(second, '?')}) has {b[0]}"
        )
    hint = ""
    if sorted((len(a), len(b))) == [1, 2] and max(a[1:] + b[1:]) > 1:
        hint = (
            "; per-class scores (N, C) against class indices (N,) are what cross_entropy "
            "(or sparse_categorical_crossentropy) takes"
        )
    return (
        f"shapes disagree: {first} ({origins.get(first, '?')}) is {_fmt(a)} but "
        f"{second} ({origins.get(second, '?')}) is {_fmt(b)}{hint}"
    )
