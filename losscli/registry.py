"""The loss registry: what a loss is (its metadata) and a container to find one by name.

Nothing here reads files or prints, and nothing here knows the catalogue: the built-in
losses register into a ``Registry`` the way plugins do (see ``losscli.catalogue``). An
entry maps NumPy arrays to per-row losses, declares how they reduce to one value, and
describes itself so that the CLI, the docs and the tests can be generated from it.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from losscli.errors import UsageError, catalogue_hint, option
from losscli.records import field, record, replace

REDUCTIONS = ("mean", "sum", "none")
AUTO = "auto"  # a switch a loss sets from the data (see Param)
CONVENTIONS = ("PyTorch", "Keras", "scikit-learn", "textbook")
# --convention values and the library each one reproduces.
CONVENTION_CHOICES = {"torch": "PyTorch", "keras": "Keras", "sklearn": "scikit-learn"}
# Conventions whose mean divides by the number of rows (Keras's sum_over_batch_size),
# not by the sum of the weights; a loss's Variant may say otherwise.
BATCH_MEAN_CONVENTIONS = frozenset({"keras"})
# What a loss may declare about itself; the registry-wide tests check each one.
PROPERTIES = {
    "nonnegative": "l >= 0 for every valid input",
    "zero_at_perfect": "l = 0 when predictions equal targets",
    "symmetric": "l(p, y) = l(y, p)",
}


@record(frozen=True)
class Input:
    """A named array a loss consumes.

    ``shape`` is a pattern of dimension symbols: ``"N"`` is the row axis shared by every
    input, other capitals (``"C"``, ``"D"``) must agree wherever they appear, and a
    ``"*"``-prefixed symbol (``"*D"``) stands for any number of trailing dimensions.
    ``kind`` is ``"real"`` for floats or ``"label"`` for integer class indices.
    ``alt_shape`` is a second accepted pattern (class indices or per-class columns);
    ``row_axis`` says where N sits when it is not first (CTC's (T, N, C)); an
    ``optional`` input is left out when no file is left for it.
    """

    name: str
    shape: tuple[str, ...]
    doc: str
    kind: str = "real"
    alt_shape: tuple[str, ...] | None = None
    row_axis: int = 0
    optional: bool = False

    def shape_text(self) -> str:
        text = _pattern_text(self.shape)
        if self.alt_shape is not None:
            text += " or " + _pattern_text(self.alt_shape)
        return text


def _pattern_text(pattern: tuple[str, ...]) -> str:
    dims = [d[1:] + "..." if d.startswith("*") else d for d in pattern]
    return "(" + ", ".join(dims) + ")"


@record(frozen=True)
class Param:
    """A typed hyper-parameter with a default and a valid range.

    ``kind`` is one of ``"float"``, ``"int"``, ``"bool"`` or ``"floats"`` (a per-class
    vector, given as a comma list; ``None`` when not set). ``low``/``high`` bound the value
    (every element of a vector); ``low_open``/``high_open`` make a bound strict. A ``"bool"``
    whose default is ``AUTO`` also takes ``auto``: the loss decides from the data.
    """

    name: str
    kind: str
    default: Any
    doc: str
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False

    def range_text(self) -> str:
        if self.kind == "bool":
            return "true, false or auto" if self.default == AUTO else "true or false"
        if self.kind == "floats":
            return "a comma list of numbers" + self._bounds_text(" each")
        what = "a number" if self.kind == "float" else "an integer"
        return what + self._bounds_text("")

    def _bounds_text(self, each: str) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {_num(self.low)}")
        if self.high is not None:
            parts.append(f"{'<' if self.high_open else '<='} {_num(self.high)}")
        return each + " " + " and ".join(parts) if parts else ""

    def parse(self, text: str, owner: str) -> Any:
        """Turn the text of ``-p name=text`` into a checked value (ASCII digits only)."""
        value: Any
        if self.default is None and text.strip().lower() == "none":
            return None
        try:
            if not text.isascii() or "_" in text:
                raise ValueError(text)
            if self.kind == "bool" and self.default == AUTO and text.strip().lower() == AUTO:
                value = AUTO
            elif self.kind == "bool":
                value = _parse_bool(text)
            elif self.kind == "floats":
                value = tuple(float(part) for part in text.split(","))
            elif self.kind == "int":
                value = int(text)
            else:
                value = float(text)
        except ValueError:
            raise UsageError(
                f"parameter '{self.name}' of {owner} must be {self.range_text()}; got {text!r}"
            ) from None
        self.check(value, owner)
        return value

    def value(self, given: Any, owner: str) -> Any:
        """A checked value from text (the command line) or a Python value (the API, TOML)."""
        if isinstance(given, str):
            return self.parse(given, owner)
        value: Any
        try:
            if given is None and (self.kind == "floats" or self.default is None):
                value = None
            elif given is None and self.kind == "bool" and self.default == AUTO:
                value = AUTO
            elif self.kind == "bool":
                if not isinstance(given, (bool, int)) or given not in (0, 1):
                    raise ValueError(given)
                value = bool(given)
            elif self.kind == "floats":
                items = given.tolist() if hasattr(given, "tolist") else given
                if not isinstance(items, (list, tuple)):
                    items = [items]
                value = tuple(float(v) for v in items)
            elif self.kind == "int":
                if isinstance(given, bool) or float(given) != int(given):
                    raise ValueError(given)
                value = int(given)
            else:
                if isinstance(given, bool):
                    raise ValueError(given)
                value = float(given)
        except (TypeError, ValueError, OverflowError):
            raise UsageError(
                f"parameter '{self.name}' of {owner} must be {self.range_text()}; got {given!r}"
            ) from None
        if self.kind == "floats" and value is not None and not value:
            raise UsageError(f"parameter '{self.name}' of {owner} must hold at least one number")
        self.check(value, owner)
        return value

    def check(self, value: Any, owner: str) -> None:
        if self.kind == "bool" or value is None:
            return
        if self.kind == "floats":
            for element in value:
                self._check_one(element, owner)
            return
        self._check_one(value, owner)

    def _check_one(self, value: float, owner: str) -> None:
        bad = not math.isfinite(value)
        if self.low is not None:
            bad = bad or value < self.low or (self.low_open and value == self.low)
        if self.high is not None:
            bad = bad or value > self.high or (self.high_open and value == self.high)
        if bad:
            raise UsageError(
                f"parameter '{self.name}' of {owner} must be {self.range_text()}; got {_num(value)}"
            )


@record(frozen=True)
class Check:
    """A data check run on every chunk: ``rows`` returns a boolean mask of offending rows.

    A warning is reported once with the total count; an error stops the run naming the
    first offending row. ``message`` may use ``{count}``, ``{n}``, ``{row}`` and, when
    ``input`` names one of the loss's inputs, ``{value}`` (that input's first offending
    row) and ``{origin}`` (where it was read from); extra fields come from ``details``,
    called with the same arrays. With ``every_row`` the warning is given only when every
    row offends (a whole file that looks like probabilities, not one odd row). A message
    may spell a fix as ``{p:name=value}`` or ``{opt:name=value}`` (see ``errors.Spelled``).
    """

    rows: Callable[..., Any]
    message: str
    error: bool = False
    input: str | None = None
    every_row: bool = False
    details: Callable[..., dict[str, Any]] | None = None
    # The --convention values (None: the default) under which the check runs; None: all.
    conventions: frozenset[str | None] | None = None

    def applies(self, convention: str | None) -> bool:
        return self.conventions is None or convention in self.conventions


@record(frozen=True)
class Rows:
    """Per-row values of a loss whose ``mean`` is not the plain mean of those values.

    ``values`` are what ``--reduction none`` shows and ``sum`` adds. ``mean`` is
    ``sum_i w_i means_i / sum_i w_i norms_i`` with sample weights ``w``: cross-entropy
    with class weights sets ``norms`` to the target classes' weights (0 for ignored rows),
    CTC sets ``means`` to each loss divided by its target length.
    """

    values: Any
    means: Any = None
    norms: Any = None
    columns: Any = None  # (N, D) per-column values, for a column-wise reduction (Reducer)


@record(frozen=True)
class Variant:
    """How one library's convention differs from the default for one loss.

    ``fn`` replaces the loss function (same signature) under that convention; without
    one the default function already gives that library's numbers and ``note`` says what
    differs in the reduction. ``batch_mean`` overrides the convention's mean rule.
    """

    note: str
    fn: Callable[..., Any] | None = None
    batch_mean: bool | None = None
    column_finalize: Callable[[float], float] | None = None
    reference: Callable[..., Any] | None = None  # the slow scalar twin of ``fn``, for tests


@record(frozen=True)
class Reducer:
    """How per-row values become a loss's value.

    mean: ``finalize(sum_i w_i m_i / sum_i w_i r_i)`` (see ``Rows``), or with
    ``batch_mean`` ``finalize(sum_i w_i m_i / N)``, Keras's sum_over_batch_size;
    sum: ``sum_i w_i v_i``. With ``column_finalize`` the mean is taken per column of
    ``Rows.columns`` and the value is ``mean_d column_finalize(mean of column d)``
    (scikit-learn's multi-output averaging).
    """

    batch_mean: bool = False
    finalize: Callable[[float], float] | None = None
    column_finalize: Callable[[float], float] | None = None


@record(frozen=True)
class Loss:
    """One registry entry.

    ``fn(**arrays, **params)`` returns the per-row loss, shape (N,). ``reference`` does the
    same with plain Python loops over scalars and exists to test ``fn``. ``finalize`` maps
    the weighted mean of the per-row values to the reported value (RMSE's square root); a
    loss with a ``finalize`` has no per-row values of its own (``per_row_instead`` names
    the loss whose per-row values a user wants instead). ``properties`` are keys of
    ``PROPERTIES``. ``formula`` is the per-row formula; left out, it is the second
    paragraph of ``fn``'s docstring (see ``formula_of``), so that it is written once.
    """

    name: str
    family: str
    summary: str
    inputs: tuple[Input, ...]
    fn: Callable[..., Any]
    reference: Callable[..., Any] | None
    convention: str
    convention_detail: str
    when_to_use: str
    aliases: tuple[str, ...] = ()
    params: tuple[Param, ...] = ()
    pitfalls: tuple[str, ...] = ()
    checks: tuple[Check, ...] = ()
    finalize: Callable[[float], float] | None = None
    properties: frozenset[str] = field(default_factory=frozenset)
    variants: Mapping[str, Variant] = field(default_factory=dict)
    streamable: bool = True
    per_row_instead: str | None = None
    # For a loss whose per-row value is the mean over a row's elements: their number per
    # row, from the arrays. PyTorch's reduction='sum' adds elements, not rows.
    row_elements: Callable[..., int] | None = None
    # The loss of every element, shape (N, ...): what PyTorch's reduction='none' gives.
    elements: Callable[..., Any] | None = None
    # d l_i / d predictions_i, shaped like the predictions (a plugin's declared gradient).
    grad: Callable[..., Any] | None = None
    formula: str = ""
    source: str = "built-in"  # or the plugin file or entry point it came from

    def __post_init__(self) -> None:
        if not self.formula:
            object.__setattr__(self, "formula", formula_of(self.fn))
        if not self.formula:
            raise ValueError(
                f"loss {self.name!r} has no formula: give formula= or write it as the second "
                "paragraph of its function's docstring"
            )

    @property
    def reductions(self) -> tuple[str, ...]:
        return ("mean",) if self.finalize is not None else REDUCTIONS

    def check_reduction(self, reduction: str) -> None:
        if reduction in self.reductions:
            return
        hint = ""
        if self.finalize is not None:
            hint = ": its value is made from the mean of all rows, so it has no per-row values"
            if self.per_row_instead:
                hint += f" (use {self.per_row_instead} for per-row values)"
        allowed = " or ".join(option("reduction", r) for r in self.reductions)
        raise UsageError(f"{self.name} supports only {allowed}{hint}")

    def convention_notes(self) -> dict[str, str]:
        """What each --convention changes for this loss, in words."""
        notes: dict[str, list[str]] = {name: [] for name in CONVENTION_CHOICES}
        for name, variant in self.variants.items():
            notes[name].append(variant.note)
        if self.row_elements is not None:
            notes["torch"].append(
                "--reduction sum adds every element, as PyTorch's reduction='sum' does "
                "(by default a row counts once, with the mean of its elements). "
                + (
                    "--reduction none gives every element, as PyTorch does."
                    if self.elements is not None
                    else "--reduction none still gives one value a row (its elements' mean), "
                    "where PyTorch gives every element."
                )
            )
        for name in sorted(BATCH_MEAN_CONVENTIONS):
            own = self.variants.get(name)
            if own is None or own.batch_mean is None:
                notes[name].append(
                    "A weighted mean divides by the number of rows, not by the sum of the "
                    "weights (Keras's sum_over_batch_size)."
                )
        return {name: " ".join(text) for name, text in notes.items() if text}

    def sum_factor(self, convention: str | None, arrays: Mapping[str, Any]) -> float:
        """What each per-row value counts for in a sum under ``convention``."""
        if convention != "torch" or self.row_elements is None:
            return 1.0
        return float(self.row_elements(**arrays))

    def reducer(self, convention: str | None = None) -> Reducer:
        """The reduction rule of this loss under ``convention``."""
        variant = self.variants.get(convention) if convention else None
        batch_mean = convention in BATCH_MEAN_CONVENTIONS
        if variant is not None and variant.batch_mean is not None:
            batch_mean = variant.batch_mean
        if variant is not None and variant.column_finalize is not None:
            return Reducer(batch_mean, None, variant.column_finalize)
        return Reducer(batch_mean, self.finalize)

    def param(self, name: str) -> Param | None:
        return next((p for p in self.params if p.name == name), None)

    def defaults(self) -> dict[str, Any]:
        return {p.name: p.default for p in self.params}

    def function(self, convention: str | None = None) -> Callable[..., Any]:
        """The loss function under ``convention`` (a CONVENTION_CHOICES key or None)."""
        variant = self.variants.get(convention) if convention else None
        return variant.fn if variant is not None and variant.fn is not None else self.fn

    def describe(self) -> dict[str, Any]:
        """Everything a user reads about this loss, as plain data (for list, info, JSON)."""
        return {
            "name": self.name,
            "aliases": list(self.aliases),
            "family": self.family,
            "summary": self.summary,
            "formula": self.formula,
            "inputs": [
                {
                    "name": i.name,
                    "shape": i.shape_text(),
                    "kind": i.kind,
                    "optional": i.optional,
                    "doc": i.doc,
                }
                for i in self.inputs
            ],
            "params": [
                {
                    "name": p.name,
                    "type": p.kind,
                    "default": p.default,
                    "range": p.range_text(),
                    "doc": p.doc,
                }
                for p in self.params
            ],
            "reductions": list(self.reductions),
            "properties": sorted(self.properties),
            "convention": self.convention,
            "convention_detail": self.convention_detail,
            "other_conventions": self.convention_notes(),
            "when_to_use": self.when_to_use,
            "pitfalls": list(self.pitfalls),
        }


def formula_of(fn: Callable[..., Any]) -> str:
    """The formula a loss function's docstring states: its second paragraph, on one line.

    >>> def f(p, y):
    ...     \"\"\"Squared error.
    ...
    ...     l = (p -
    ...          y)^2
    ...     \"\"\"
    >>> formula_of(f)
    'l = (p - y)^2'
    """
    paragraphs: list[list[str]] = [[]]
    for line in (fn.__doc__ or "").splitlines():
        if line.strip():
            paragraphs[-1].append(line.strip())
        elif paragraphs[-1]:
            paragraphs.append([])
    if len(paragraphs) < 2 or not paragraphs[1] or paragraphs[1][0].startswith(">>>"):
        return ""
    return " ".join(" ".join(paragraphs[1]).split())


def _num(x: float) -> str:
    return f"{x:g}" if isinstance(x, float) else str(x)


def _parse_bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "yes", "on"):
        return True
    if lowered in ("false", "0", "no", "off"):
        return False
    raise ValueError(text)


def normalize_name(name: str) -> str:
    return name.strip().lower().replace("-", "_")


class Registry:
    """Losses by canonical name and alias; lookups ignore case and treat '-' as '_'."""

    def __init__(self) -> None:
        self._losses: dict[str, Loss] = {}
        self._by_key: dict[str, Loss] = {}
        self._source: dict[str, str] = {}
        self._rank: dict[str, tuple[int, int]] = {}  # listing order: deferred groups first
        # Groups of entries registered on first use: loader by the names it registers.
        self._deferred: dict[str, Callable[[Registry], None]] = {}
        self._groups: list[Callable[[Registry], None]] = []
        self._loading: int | None = None  # the deferred group being registered, if any
        # Called with a name that is not registered, so plugins can load on demand.
        self.on_missing: Callable[[str], None] | None = None

    def copy(self) -> Registry:
        other = Registry()
        other._losses = dict(self._losses)
        other._by_key = dict(self._by_key)
        other._source = dict(self._source)
        other._rank = dict(self._rank)
        other._deferred = dict(self._deferred)
        other._groups = list(self._groups)
        return other

    def defer(self, names: Iterable[str], load: Callable[[Registry], None]) -> None:
        """Register the entries ``load(registry)`` registers when one of ``names`` (their
        canonical names) is first looked up, or the catalogue is listed; they list before
        entries registered directly, in the order they were deferred."""
        self._groups.append(load)
        for name in names:
            self._deferred[normalize_name(name)] = load

    def _load(self, load: Callable[[Registry], None]) -> None:
        self._deferred = {k: v for k, v in self._deferred.items() if v is not load}
        self._loading = self._groups.index(load)
        try:
            load(self)
        finally:
            self._loading = None

    def _load_all(self) -> None:
        for load in self._groups:
            if load in self._deferred.values():
                self._load(load)

    def source(self, name: str) -> str:
        return self._source[name]

    def register(self, loss: Loss, source: str = "built-in") -> Loss:
        if loss.convention not in CONVENTIONS:
            raise ValueError(f"{loss.name}: unknown convention {loss.convention!r}")
        unknown_properties = set(loss.properties) - set(PROPERTIES)
        if unknown_properties:
            raise ValueError(
                f"{loss.name}: unknown properties {sorted(unknown_properties)} "
                f"(known: {', '.join(PROPERTIES)})"
            )
        unknown = set(loss.variants) - set(CONVENTION_CHOICES)
        if unknown:
            raise ValueError(f"{loss.name}: variants for unknown conventions {sorted(unknown)}")
        keys = [normalize_name(k) for k in (loss.name, *loss.aliases)]
        if self._deferred and self._loading is None:
            self._load_all()  # a name may collide with an entry not loaded yet
        for key, norm in zip((loss.name, *loss.aliases), keys):
            if norm in self._by_key:
                other = self._by_key[norm]
                raise UsageError(
                    f"loss name '{key}' from {source} collides with '{other.name}' "
                    f"from {self._source[other.name]}"
                )
        if source != "built-in" and loss.source == "built-in":
            loss = replace(loss, source=source)
        self._losses[loss.name] = loss
        self._source[loss.name] = source
        group = len(self._groups) if self._loading is None else self._loading
        self._rank[loss.name] = (group, len(self._rank))
        for key in (loss.name, *loss.aliases):
            self._by_key[normalize_name(key)] = loss
        return loss

    def get(self, name: str) -> Loss:
        key = normalize_name(name)
        loss = self._by_key.get(key)
        if loss is None and key in self._deferred:
            self._load(self._deferred[key])
            loss = self._by_key.get(key)
        if loss is None and self._deferred:  # an alias, or a name of no entry
            self._load_all()
            loss = self._by_key.get(key)
        if loss is None and self.on_missing is not None:
            self.on_missing(name)
            loss = self._by_key.get(normalize_name(name))
        if loss is None:
            import difflib

            close = difflib.get_close_matches(normalize_name(name), self._by_key, n=3, cutoff=0.6)
            names = list(dict.fromkeys(self._by_key[c].name for c in close))
            hint = f"; did you mean {', '.join(names)}?" if names else ""
            raise UsageError(f"unknown loss '{name}'{hint} (see {catalogue_hint()})")
        return loss

    def __iter__(self) -> Iterator[Loss]:
        return iter([self._losses[name] for name in self.names()])

    def __len__(self) -> int:
        self._load_all()
        return len(self._losses)

    def names(self) -> list[str]:
        self._load_all()
        return sorted(self._losses, key=self._rank.__getitem__)


def resolve_params(loss: Loss, given: Mapping[str, Any]) -> dict[str, Any]:
    """Defaults overlaid with checked values (text from ``-p``, or Python values) for one loss."""
    values = loss.defaults()
    for key, raw in given.items():
        param = loss.param(key)
        if param is None:
            valid = ", ".join(p.name for p in loss.params) or "none"
            raise UsageError(f"{loss.name} has no parameter '{key}' (its parameters: {valid})")
        values[key] = param.value(raw, loss.name)
    return values
