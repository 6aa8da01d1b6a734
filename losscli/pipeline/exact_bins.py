"""A chunk of float64 terms as exact bin totals: what ``exact_sum.ExactSums`` adds up.

A chunk is summed without a Python loop over its rows. Terms are binned by their sign and
binary exponent (the top 12 bits of the IEEE encoding). Within a bin, every term's upper 27
significant bits (``hi``: the low 26 bits of the encoding cleared) are multiples of one power
of two and below another 2**27 times larger; the rest (``lo = x - hi``, exact) are multiples
of the bin's unit below 2**26 of them. A float64 adds up to 2**26 such numbers without
rounding (53 bits), so ``np.bincount`` of ``hi`` and of ``lo`` by bin is exact for chunks of
up to 2**26 rows. The few bin totals are then split into limbs and added as integers.

Weighted terms ``w * v`` are formed from ``frexp`` mantissas and exponents: the product of
the mantissas (in [1/4, 1)) is rounded once to 53 bits, as float64 rounds ``w * v``, but the
exponent is kept apart, so no term overflows or underflows: weights of 1e300 and 1e-300
give the same terms ``w * v`` would give in a float with float64's precision and an
unbounded exponent (and the same as float64 itself whenever ``w * v`` is a normal number).
"""

from __future__ import annotations

import threading

import numpy as np

MAX_ROWS = 1 << 26  # rows summed by one bincount: hi and lo bin sums stay exact below this

_EXPONENT_SHIFT = np.uint64(52)
_HI_MASK = np.uint64(0xFFFF_FFFF_FC00_0000)  # clears the 26 low bits of the significand
_SPECIAL = 2047  # the exponent field of inf and NaN
_LANES = 8  # independent bins per exponent: consecutive rows do not wait on one sum

NAN, POS_INF, NEG_INF = 1, 2, 4  # flags of sums that met non-finite terms
# Exponent fields whose bin totals could overflow (2**26 terms of up to 2**1024 each): such
# terms are summed as mantissa and exponent, like products.
_HUGE_FIELD = 2000
_HUGE_TERM = 2.0 ** (_HUGE_FIELD - 1023)
_HUGE = np.concatenate([np.arange(_HUGE_FIELD, _SPECIAL), np.arange(_HUGE_FIELD, _SPECIAL) + 2048])

# Sign and exponent field of a frexp mantissa in [1/4, 1) (fields 1021, 1022), zero, inf/NaN,
# as 0..7: the product path's bins.
_MANTISSA_FIELD = np.full(4096, 0, dtype=np.int64)
for _sign in (0, 1):
    _MANTISSA_FIELD[_sign * 2048 + 1021] = _sign * 4 + 1
    _MANTISSA_FIELD[_sign * 2048 + 1022] = _sign * 4 + 2
    _MANTISSA_FIELD[_sign * 2048 + _SPECIAL] = _sign * 4 + 3
_SMALLEST_NORMAL = 2.0**-1022
_FIELD_OF_CODE = np.array([0, 1021, 1022, _SPECIAL, 2048, 2048 + 1021, 2048 + 1022, 4095])


Binned = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]
_NO_FLAGS = np.zeros((2, 0), dtype=np.int64)
_scratch = threading.local()


def _buffers(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Reused per-thread buffers (keys, hi, lo) and the lane pattern for chunks of ``n`` rows:
    fresh memory for every chunk would cost more than the sums."""
    size = getattr(_scratch, "size", 0)
    if size < n:
        size = max(n, 1 << 16)
        _scratch.size = size
        _scratch.keys = np.empty(size, dtype=np.uint64)
        _scratch.hi = np.empty(size, dtype=np.uint64)
        _scratch.lo = np.empty(size, dtype=np.float64)
        _scratch.lanes = (np.arange(size, dtype=np.uint64) % np.uint64(_LANES)) << np.uint64(12)
    return _scratch.keys[:n], _scratch.hi[:n], _scratch.lo[:n], _scratch.lanes[:n]


def _split(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """hi (the top 27 significant bits) and lo = terms - hi, both exact."""
    hi = (terms.view(np.uint64) & _HI_MASK).view(np.float64)
    with np.errstate(invalid="ignore"):
        return hi, terms - hi


def _plain_totals(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(hi, lo) totals of a chunk's terms in 4096 bins by sign and exponent field."""
    keys, hi_bits, lo, lanes = _buffers(len(terms))
    bits = terms.view(np.uint64)
    np.right_shift(bits, _EXPONENT_SHIFT, out=keys)
    np.bitwise_or(keys, lanes, out=keys)
    hi = np.bitwise_and(bits, _HI_MASK, out=hi_bits).view(np.float64)
    with np.errstate(invalid="ignore"):
        np.subtract(terms, hi, out=lo)
    width = 4096 * _LANES
    index = keys.view(np.int64)
    with np.errstate(over="ignore", invalid="ignore"):  # huge bins are summed apart
        high = np.bincount(index, hi, minlength=width).reshape(_LANES, 4096).sum(axis=0)
        low = np.bincount(index, lo, minlength=width).reshape(_LANES, 4096).sum(axis=0)
    return high, low


def bins_of_terms(terms: np.ndarray, codes: np.ndarray, k: int) -> Binned:
    """Exact per-bin totals of a chunk of float terms, by group (see the module's docstring)."""
    if not len(terms):
        return _empty()
    fields = (terms.view(np.uint64) >> _EXPONENT_SHIFT).view(np.int64)  # sign, exponent
    if ((fields & 2047) >= _HUGE_FIELD).any():  # bin totals could overflow: as products
        return bins_of_products(terms, np.ones(len(terms)), codes, k)
    first = int(fields.min())
    span = int(fields.max()) - first + 1
    bins, high, low = _binned(codes * span + (fields - first), k * span, *_split(terms))
    binned = _collect(high, low, bins // span, bins % span + first, np.zeros(len(bins), np.int64))
    return _with_specials(binned, terms, fields, codes)


def bins_of_products(
    weights: np.ndarray, values: np.ndarray, codes: np.ndarray | None, k: int
) -> Binned:
    """Exact per-bin totals of the terms w * v (mantissas multiplied, exponents added)."""
    if not len(weights):
        return _empty()
    weight_mantissa, weight_exponent = np.frexp(weights)
    value_mantissa, value_exponent = np.frexp(values)
    with np.errstate(invalid="ignore"):
        mantissas = weight_mantissa * value_mantissa  # |m| in [1/4, 1), 0, inf or NaN
    exponents = weight_exponent.astype(np.int64) + value_exponent
    fields = (mantissas.view(np.uint64) >> _EXPONENT_SHIFT).view(np.int64)
    first = int(exponents.min())
    span = (int(exponents.max()) - first + 1) * 8
    keys = (exponents - first) * 8 + _MANTISSA_FIELD[fields]
    if codes is not None:
        keys += codes * span
    bins, high, low = _binned(keys, k * span, *_split(mantissas))
    within = bins % span
    binned = _collect(high, low, bins // span, _FIELD_OF_CODE[within % 8], within // 8 + first)
    return _with_specials(binned, mantissas, fields, codes)


def _binned(
    keys: np.ndarray, size: int, hi: np.ndarray, lo: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The bins (keys) in use and the totals of ``hi`` and ``lo`` in each: by ``bincount``
    over every possible key when they are few against the rows, else over the keys present."""
    if size <= 4 * len(keys) + 4096:
        return np.arange(size), np.bincount(keys, hi, size), np.bincount(keys, lo, size)
    present, index = np.unique(keys, return_inverse=True)
    return present, np.bincount(index, hi, len(present)), np.bincount(index, lo, len(present))


def normal_products(weights: np.ndarray, values: np.ndarray, products: np.ndarray) -> bool:
    """Whether float64's ``w * v`` is each term exactly: no product overflowed, and none
    fell below the normal range (a subnormal, or 0 from non-zero factors)."""
    finite = np.isfinite(products)
    if not finite.all() and (~finite & np.isfinite(weights) & np.isfinite(values)).any():
        return False
    with np.errstate(invalid="ignore"):
        tiny = np.abs(products) < _SMALLEST_NORMAL
    if not tiny.any():
        return True
    return bool(((weights[tiny] == 0) | (values[tiny] == 0)).all())


def _empty() -> Binned:
    nothing = np.zeros(0, dtype=np.int64)
    return nothing, np.zeros(0), nothing, _NO_FLAGS


def _collect(
    high: np.ndarray,
    low: np.ndarray,
    owners_of_bin: np.ndarray,
    fields_of_bin: np.ndarray,
    exponents_of_bin: np.ndarray,
) -> Binned:
    """The finite non-zero bin totals with their owners and exponents; ``flags`` holds the
    owners of bins of inf or NaN (their flags are read from the rows, ``_with_specials``)."""
    special = (fields_of_bin & 2047) == _SPECIAL
    used = np.flatnonzero(~special & ((high != 0) | (low != 0)))
    totals = np.concatenate([high[used], low[used]])
    owners = np.concatenate([owners_of_bin[used], owners_of_bin[used]])
    exponents = np.concatenate([exponents_of_bin[used], exponents_of_bin[used]])
    met = np.flatnonzero(special & (high != 0))  # inf or NaN: never a total of 0
    return owners, totals, exponents, np.stack([owners_of_bin[met], np.zeros(len(met), np.int64)])


def _with_specials(
    binned: Binned, terms: np.ndarray, fields: np.ndarray, codes: np.ndarray | None
) -> Binned:
    """``binned`` with the flags of its inf and NaN terms, read from the rows themselves (a
    NaN's payload may be cleared by the hi/lo split)."""
    owners, totals, exponents, flags = binned
    if not flags.shape[1]:
        return binned
    rows = np.flatnonzero((fields & 2047) == _SPECIAL)
    met = terms[rows]
    kind = np.where(np.isnan(met), NAN, np.where(met > 0, POS_INF, NEG_INF))
    who = np.zeros(len(rows), np.int64) if codes is None else codes[rows]
    return owners, totals, exponents, np.stack([who, kind])


def plain_bins(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray, int, Binned]:
    """A chunk's finite terms below 2**976 as (hi, lo) totals in 4096 bins by sign and
    exponent, which further chunks may be added to while the rows stay below ``MAX_ROWS``;
    the flags of its inf and NaN terms; and its larger terms binned apart (as products with
    1: totals of terms near 1e308 would overflow a float)."""
    high, low = _plain_totals(terms)
    huge = _empty()
    if high[_HUGE].any():
        high[_HUGE], low[_HUGE] = 0, 0
        big = terms[np.isfinite(terms) & (np.abs(terms) >= _HUGE_TERM)]
        huge = bins_of_products(big, np.ones(len(big)), None, 1)
    flags = 0
    special = [_SPECIAL, 2048 + _SPECIAL]
    if high[special].any():  # inf or NaN (a total of 0 is impossible there)
        met = terms[~np.isfinite(terms)]
        flags = (
            NAN * bool(np.isnan(met).any())
            | POS_INF * bool((met > 0).any())
            | NEG_INF * bool((met < 0).any())
        )
        high[special], low[special] = 0, 0
    return high, low, flags, huge


def binned_plain(high: np.ndarray, low: np.ndarray) -> Binned:
    """Totals from ``plain_bins`` (added up over chunks) as the bins of sum 0."""
    zeros = np.zeros(4096, np.int64)
    return _collect(high, low, zeros, np.arange(4096), zeros)
