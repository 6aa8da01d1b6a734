"""Exact sums of float64 terms: every printed total is the sum of its terms rounded once.

A float64 ``x`` is ``M * 2**p`` with an integer ``M < 2**53``. ``ExactSums`` keeps ``k`` sums
as integers in units of ``2**-BIAS``, in 32-bit limbs on a fixed grid, so adding, merging
(chunks, files, Dask partitions, in any order) and splitting never round: a total is a
function of its terms alone, whatever the CPU, chunking or engine. It is rounded to float64
once, when read (``rounded``, ``ratio``), by CPython's correctly rounded integer division.

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

import math
import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

# Units of every sum: 2**-BIAS. The smallest term is a product of two subnormals,
# 2**-1074 * 2**-1074, rounded to 53 bits: its last bit is 2**-2148 * 2**-53, above 2**-2304.
BIAS = 2304
LIMB = 32
_LIMB_MASK = (1 << LIMB) - 1
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


class ExactSums:
    """``k`` exact sums of float64 terms (see the module's docstring), mergeable in any order.

    >>> s = ExactSums(1)
    >>> s.add(np.array([1e16, 1.0, -1e16]))
    >>> s.rounded().tolist(), sum([1e16, 1.0, -1e16])
    ([1.0], 0.0)
    """

    def __init__(self, k: int = 1) -> None:
        self.limbs = np.zeros((k, 0), dtype=np.int64)  # limb j is worth 2**(LIMB*(low+j)-BIAS)
        self.low = 0
        self.flags = np.zeros(k, dtype=np.uint8)
        # Bin totals of sum 0's plain terms not yet in the limbs (exact below MAX_ROWS rows).
        self._pending: tuple[np.ndarray, np.ndarray] | None = None
        self._pending_rows = 0

    def __len__(self) -> int:
        return len(self.flags)

    def __repr__(self) -> str:
        return f"ExactSums({self.rounded().tolist()})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ExactSums) or len(self) != len(other):
            return NotImplemented
        return self.integers() == other.integers() and bool(np.all(self.flags == other.flags))

    def __getstate__(self) -> dict[str, Any]:
        self._flush()
        return self.__dict__

    # -- adding terms ------------------------------------------------------------------------

    def add(self, terms: np.ndarray, codes: np.ndarray | None = None) -> None:
        """Add ``terms[i]`` to sum ``codes[i]`` (to sum 0 when ``codes`` is None)."""
        terms = np.ascontiguousarray(terms, dtype=np.float64).reshape(-1)
        if codes is None:
            for start in range(0, len(terms), MAX_ROWS):
                self._add_plain(terms[start : start + MAX_ROWS])
            return
        codes = np.asarray(codes, dtype=np.int64).reshape(-1)
        for start in range(0, len(terms), MAX_ROWS):
            rows = slice(start, start + MAX_ROWS)
            self._add_grouped(_bins_of_terms, (terms[rows],), codes[rows])

    def _add_grouped(self, binner: Any, arrays: tuple[np.ndarray, ...], codes: np.ndarray) -> None:
        """Bin rows by group with ``binner`` (groups renumbered from the chunk's lowest)."""
        if not len(codes):
            return
        first = int(codes.min())
        k = int(codes.max()) - first + 1
        self.grow(first + k)
        owners, totals, exponents, flags = binner(*arrays, codes - first if first else codes, k)
        self._add_binned(owners + first, totals, exponents, flags + [[first], [0]])

    def _add_plain(self, terms: np.ndarray) -> None:
        if not len(terms):
            return
        self.grow(1)
        if self._pending_rows + len(terms) > MAX_ROWS:
            self._flush()
        high, low = _bins_of_plain_terms(terms)
        if high[_HUGE].any():  # bin totals of terms above 2**976 may overflow: their own path
            high[_HUGE], low[_HUGE] = 0, 0
            huge = terms[np.isfinite(terms) & (np.abs(terms) >= _HUGE_TERM)]
            self._add_binned(*_bins_of_products(huge, np.ones(len(huge)), None, 1))
        special = high[[_SPECIAL, 2048 + _SPECIAL]]
        if special.any():  # inf or NaN (a total of 0 is impossible there)
            met = terms[~np.isfinite(terms)]
            if np.isnan(met).any():
                self.flags[0] |= NAN
            if (met > 0).any():
                self.flags[0] |= POS_INF
            if (met < 0).any():
                self.flags[0] |= NEG_INF
            high[[_SPECIAL, 2048 + _SPECIAL]] = 0
            low[[_SPECIAL, 2048 + _SPECIAL]] = 0
        if self._pending is None:
            self._pending = (high, low)
        else:
            self._pending[0].__iadd__(high)
            self._pending[1].__iadd__(low)
        self._pending_rows += len(terms)

    def _flush(self) -> None:
        """Move the pending bin totals into the limbs."""
        if self._pending is None:
            return
        high, low = self._pending
        self._pending, self._pending_rows = None, 0
        zeros = np.zeros(4096, np.int64)
        self._add_binned(*_collect(high, low, zeros, np.arange(4096), zeros))

    def add_products(
        self, weights: np.ndarray, values: np.ndarray, codes: np.ndarray | None = None
    ) -> None:
        """Add ``weights[i] * values[i]`` (rounded to 53 bits, see above) to sum ``codes[i]``."""
        weights = np.asarray(weights, dtype=np.float64)
        values = np.asarray(values, dtype=np.float64)
        weights, values = (np.ravel(a) for a in np.broadcast_arrays(weights, values))
        if codes is not None:
            codes = np.broadcast_to(np.asarray(codes, dtype=np.int64), weights.shape)
        with np.errstate(all="ignore"):
            products = weights * values
        if _normal_products(weights, values, products):  # float64's product is the term
            self.add(products, codes)
            return
        for start in range(0, len(weights), MAX_ROWS):
            rows = slice(start, start + MAX_ROWS)
            if codes is None:
                self.grow(1)
                self._add_binned(*_bins_of_products(weights[rows], values[rows], None, 1))
            else:
                self._add_grouped(_bins_of_products, (weights[rows], values[rows]), codes[rows])

    def grow(self, k: int) -> None:
        """Make room for ``k`` sums (new ones are 0)."""
        extra = k - len(self)
        if extra > 0:
            self.limbs = padded(self.limbs, after=extra)
            self.flags = padded(self.flags, after=extra)

    def _add_binned(
        self, owners: np.ndarray, totals: np.ndarray, exponents: np.ndarray, flags: np.ndarray
    ) -> None:
        """Add exact bin totals: ``totals[j] * 2**exponents[j]`` to sum ``owners[j]``."""
        if flags.shape[1]:
            np.bitwise_or.at(self.flags, flags[0], flags[1].astype(np.uint8))
        if not len(totals):
            return
        mantissas, powers = np.frexp(totals)
        magnitude = np.abs(np.ldexp(mantissas, 53)).astype(np.uint64)  # < 2**53, exact
        negative = totals < 0
        position = powers.astype(np.int64) + exponents - 53 + BIAS
        slot, shift = position >> 5, (position & 31).astype(np.uint64)
        keep = np.uint64(32) - shift
        low_part = (magnitude & ((np.uint64(1) << keep) - np.uint64(1))) << shift
        rest = magnitude >> keep
        digits = [low_part, rest & np.uint64(_LIMB_MASK), rest >> np.uint64(32)]
        self._window(int(slot.min()), int(slot.max()) + len(digits) + 1)
        for j, digit in enumerate(digits):
            signed = digit.astype(np.int64)
            signed[negative] *= -1
            np.add.at(self.limbs, (owners, slot - self.low + j), signed)
        self._carry()

    def _window(self, first: int, end: int) -> None:
        """Make limbs ``first`` .. ``end - 1`` (grid slots) part of the window."""
        if not self.limbs.shape[1]:
            self.low = first
            self.limbs = np.zeros((len(self), end - first), dtype=np.int64)
            return
        below = max(0, self.low - first)
        above = max(0, end - (self.low + self.limbs.shape[1]))
        if below or above:
            self.limbs = padded(self.limbs, before=below, after=above, axis=1)
            self.low -= below

    def _carry(self) -> None:
        """Bring every limb but the top one into [0, 2**32): sums of many limbs stay exact."""
        limbs = self.limbs
        for j in range(limbs.shape[1] - 1):
            carry = limbs[:, j] >> LIMB
            if carry.any():
                limbs[:, j] -= carry << LIMB
                limbs[:, j + 1] += carry
        if limbs.shape[1] and np.abs(limbs[:, -1]).max(initial=0) > (1 << 40):
            self._window(self.low, self.low + limbs.shape[1] + 1)

    # -- merging and reading -----------------------------------------------------------------

    def merge(self, other: ExactSums) -> None:
        """Add ``other``'s sums into these (sum i to sum i)."""
        other._flush()
        self.grow(len(other))
        self.flags[: len(other)] |= other.flags
        if not other.limbs.shape[1]:
            return
        self._window(other.low, other.low + other.limbs.shape[1] + 1)
        start = other.low - self.low
        self.limbs[: len(other), start : start + other.limbs.shape[1]] += other.limbs
        self._carry()

    @staticmethod
    def concat(parts: Sequence[ExactSums]) -> ExactSums:
        """The sums of every part, sum i to sum i: one window for all, one carry."""
        out = ExactSums(max((len(p.flags) for p in parts), default=1))
        for part in parts:
            part._flush()
        if parts and np.concatenate([p.flags for p in parts]).any():
            for part in parts:
                out.flags[: len(part.flags)] |= part.flags
        live = [p for p in parts if p.limbs.shape[1]]
        if not live:
            return out
        out.low = min(p.low for p in live)
        top = max(p.low + p.limbs.shape[1] for p in live) + 2  # room for the carries
        out.limbs = np.zeros((len(out), top - out.low), dtype=np.int64)
        for count, part in enumerate(live, start=1):
            start = part.low - out.low
            out.limbs[: len(part.flags), start : start + part.limbs.shape[1]] += part.limbs
            if count % (1 << 20) == 0:  # limbs below 2**32 each: 2**20 of them fit in 2**63
                out._carry()
        out._carry()
        return out

    def take(self, index: int) -> ExactSums:
        """Sum ``index`` alone."""
        self._flush()
        out = ExactSums(1)
        out.limbs = self.limbs[index : index + 1].copy()
        out.low = self.low
        out.flags = self.flags[index : index + 1].copy()
        return out

    def integers(self) -> list[int]:
        """Each finite sum as an exact integer, in units of 2**-BIAS."""
        self._flush()
        return [self._integer(row) for row in self.limbs.tolist()]

    def _integer(self, row: list[int]) -> int:
        total = 0
        for limb in reversed(row):
            total = (total << LIMB) + limb
        return total << (LIMB * self.low)

    def integer(self, i: int) -> int:
        """Sum ``i`` as an exact integer, in units of 2**-BIAS."""
        self._flush()
        return self._integer(self.limbs[i].tolist())

    def _special(self, i: int) -> float | None:
        flags = int(self.flags[i])
        if flags & NAN or (flags & POS_INF and flags & NEG_INF):
            return math.nan
        if flags & POS_INF:
            return math.inf
        if flags & NEG_INF:
            return -math.inf
        return None

    def rounded(self) -> np.ndarray:
        """Each sum rounded once to float64 (±inf beyond its range)."""
        out = []
        for i, total in enumerate(self.integers()):
            special = self._special(i)
            out.append(special if special is not None else _quotient(total, 1 << BIAS))
        return np.array(out, dtype=np.float64)

    def ratio(self, other: ExactSums | int, i: int = 0) -> float:
        """Sum ``i`` divided by ``other`` (its sum ``i``, or a count), rounded once; NaN when
        dividing by 0, IEEE rules when either side met inf or NaN."""
        numerator = self.integer(i)
        special = self._special(i)
        if isinstance(other, ExactSums):
            denominator, other_special = other.integer(i), other._special(i)
        else:
            denominator, other_special = int(other) << BIAS, None
        if special is not None or other_special is not None:
            a = special if special is not None else _quotient(numerator, 1 << BIAS)
            b = other_special if other_special is not None else _quotient(denominator, 1 << BIAS)
            with np.errstate(all="ignore"):
                return float(np.float64(a) / np.float64(b))
        if denominator == 0:
            return math.nan
        return _quotient(numerator, denominator)

    def sqrt(self, i: int = 0) -> float:
        """The square root of sum ``i`` (>= 0), rounded once: a norm from a sum of squares."""
        special = self._special(i)
        if special is not None:
            return math.sqrt(special) if special >= 0 or math.isnan(special) else math.nan
        total = self.integer(i)
        if total < 0:
            return math.nan
        if total == 0:
            return 0.0
        # sqrt(total * 2**-BIAS) = sqrt(total * 4**extra) * 2**-(BIAS/2 + extra): at least 64
        # bits of root, the discarded remainder kept as a sticky bit, then one rounding.
        extra = max(0, (130 - total.bit_length()) // 2 + 1)
        scaled = total << (2 * extra)
        root = math.isqrt(scaled)
        root = (root << 1) | (root * root != scaled)
        return _quotient(root, 1 << (BIAS // 2 + extra + 1))


def padded(array: np.ndarray, before: int = 0, after: int = 0, axis: int = 0) -> np.ndarray:
    """``array`` with zeros added along ``axis`` (``np.pad`` costs 15 ms of imports)."""
    shape = list(array.shape)
    shape[axis] += before + after
    out = np.zeros(shape, dtype=array.dtype)
    index = [slice(None)] * array.ndim
    index[axis] = slice(before, before + array.shape[axis])
    out[tuple(index)] = array
    return out


def _quotient(numerator: int, denominator: int) -> float:
    """numerator / denominator rounded once (CPython's integer division is correctly
    rounded); ±inf beyond float64's range."""
    try:
        return numerator / denominator
    except OverflowError:
        return math.inf if (numerator < 0) == (denominator < 0) else -math.inf


def exact_sum(values: Sequence[float] | np.ndarray) -> float:
    """sum(values) rounded once (``math.fsum``, but without its intermediate overflow)."""
    sums = ExactSums(1)
    sums.add(np.asarray(values, dtype=np.float64))
    return float(sums.rounded()[0])


def exact_weighted_sum(
    weights: Sequence[float] | np.ndarray, values: Sequence[float] | np.ndarray
) -> float:
    """sum_k weights[k] * values[k], each product rounded to 53 bits, the sum rounded once."""
    sums = ExactSums(1)
    sums.add_products(np.asarray(weights, dtype=np.float64), np.asarray(values, dtype=np.float64))
    return float(sums.rounded()[0])


def exact_mean(values: Sequence[float] | np.ndarray) -> float:
    """mean(values) rounded once; NaN for no values."""
    values = np.asarray(values, dtype=np.float64)
    sums = ExactSums(1)
    sums.add(values)
    return sums.ratio(len(values))


# -- binning a chunk -----------------------------------------------------------------------

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


def _bins_of_plain_terms(terms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def _bins_of_terms(terms: np.ndarray, codes: np.ndarray, k: int) -> Binned:
    """Exact per-bin totals of a chunk of float terms, by group (see the module's docstring)."""
    if not len(terms):
        return _empty()
    fields = (terms.view(np.uint64) >> _EXPONENT_SHIFT).view(np.int64)  # sign, exponent
    if ((fields & 2047) >= _HUGE_FIELD).any():  # bin totals could overflow: as products
        return _bins_of_products(terms, np.ones(len(terms)), codes, k)
    first = int(fields.min())
    span = int(fields.max()) - first + 1
    bins, high, low = _binned(codes * span + (fields - first), k * span, *_split(terms))
    binned = _collect(high, low, bins // span, bins % span + first, np.zeros(len(bins), np.int64))
    return _with_specials(binned, terms, fields, codes)


def _bins_of_products(
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


def _normal_products(weights: np.ndarray, values: np.ndarray, products: np.ndarray) -> bool:
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
