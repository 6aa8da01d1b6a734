"""Exact sums of float64 terms: every printed total is the sum of its terms rounded once.

A float64 ``x`` is ``M * 2**p`` with an integer ``M < 2**53``. ``ExactSums`` keeps ``k`` sums
as integers in units of ``2**-BIAS``, in 32-bit limbs on a fixed grid, so adding, merging
(chunks, files, Dask partitions, in any order) and splitting never round: a total is a
function of its terms alone, whatever the CPU, chunking or engine. It is rounded to float64
once, when read (``rounded``, ``ratio``), by CPython's correctly rounded integer division.

How a chunk becomes exact bin totals, and how weighted terms are formed: ``exact_bins``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from losscli.pipeline.exact_bins import (
    MAX_ROWS,
    NAN,
    NEG_INF,
    POS_INF,
    binned_plain,
    bins_of_products,
    bins_of_terms,
    normal_products,
    plain_bins,
)

# Units of every sum: 2**-BIAS. The smallest term is a product of two subnormals,
# 2**-1074 * 2**-1074, rounded to 53 bits: its last bit is 2**-2148 * 2**-53, above 2**-2304.
BIAS = 2304
LIMB = 32
_LIMB_MASK = (1 << LIMB) - 1


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
            self._add_grouped(bins_of_terms, (terms[rows],), codes[rows])

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
        high, low, flags, huge = plain_bins(terms)
        self.flags[0] |= flags
        self._add_binned(*huge)
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
        self._add_binned(*binned_plain(high, low))

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
        if normal_products(weights, values, products):  # float64's product is the term
            self.add(products, codes)
            return
        for start in range(0, len(weights), MAX_ROWS):
            rows = slice(start, start + MAX_ROWS)
            if codes is None:
                self.grow(1)
                self._add_binned(*bins_of_products(weights[rows], values[rows], None, 1))
            else:
                self._add_grouped(bins_of_products, (weights[rows], values[rows]), codes[rows])

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
