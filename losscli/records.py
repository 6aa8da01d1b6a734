"""Records: classes of named fields, as ``dataclasses.dataclass`` makes them, without its
cost at import.

``dataclass`` writes and compiles the source of five or six methods for every class
(about 0.5 ms each here); losscli declares some twenty on the path of every command, which
was a tenth of its start-up. A record shares one generic ``__init__``, ``__repr__``,
``__eq__`` and ``__hash__`` among all classes instead. Semantics follow dataclasses:
fields are the class's annotations in order; a class attribute is a field's default;
``field(default_factory=f)`` makes a fresh default per instance; ``__post_init__`` runs after
``__init__``; ``frozen=True`` forbids assignment (``object.__setattr__`` still works in
``__post_init__``); equal records have equal fields and, when frozen, equal hashes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from typing_extensions import dataclass_transform
else:

    def dataclass_transform(**kwargs: Any) -> Callable[[Any], Any]:
        return lambda f: f


T = TypeVar("T")
_MISSING: Any = object()


class FrozenRecordError(AttributeError):
    """Assignment to a field of a frozen record."""


class _Factory:
    __slots__ = ("make",)

    def __init__(self, make: Callable[[], Any]) -> None:
        self.make = make


def field(*, default_factory: Callable[[], T]) -> T:
    """A field default made afresh for every instance, as in dataclasses."""
    return _Factory(default_factory)  # type: ignore[return-value]


def fields(obj: Any) -> tuple[str, ...]:
    """The field names of a record class or instance, in order."""
    return obj.__record_fields__


def replace(obj: T, **changes: Any) -> T:
    """A copy of a record with some fields changed (``dataclasses.replace``)."""
    values = {name: getattr(obj, name) for name in fields(obj)}
    unknown = set(changes) - set(values)
    if unknown:
        raise TypeError(f"{type(obj).__name__} has no field {sorted(unknown)[0]!r}")
    return type(obj)(**(values | changes))


def _init(self: Any, *args: Any, **kwargs: Any) -> None:
    cls = type(self)
    names = cls.__record_fields__
    if len(args) > len(names):
        raise TypeError(f"{cls.__name__}() takes {len(names)} arguments, {len(args)} given")
    values = dict(zip(names, args))
    for key, value in kwargs.items():
        if key not in cls.__record_defaults__ and key not in names:
            raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {key!r}")
        if key in values:
            raise TypeError(f"{cls.__name__}() got multiple values for argument {key!r}")
        values[key] = value
    setter = object.__setattr__
    for name in names:
        if name in values:
            setter(self, name, values[name])
            continue
        fallback = cls.__record_defaults__.get(name, _MISSING)
        if fallback is _MISSING:
            raise TypeError(f"{cls.__name__}() missing required argument: {name!r}")
        setter(self, name, fallback.make() if isinstance(fallback, _Factory) else fallback)
    post_init = getattr(self, "__post_init__", None)
    if post_init is not None:
        post_init()


def _repr(self: Any) -> str:
    cls = type(self)
    items = ", ".join(f"{name}={getattr(self, name)!r}" for name in cls.__record_fields__)
    return f"{cls.__qualname__}({items})"


def _values(self: Any) -> tuple[Any, ...]:
    return tuple(getattr(self, name) for name in type(self).__record_fields__)


def _eq(self: Any, other: Any) -> Any:
    if other.__class__ is not self.__class__:
        return NotImplemented
    return _values(self) == _values(other)


def _hash(self: Any) -> int:
    return hash(_values(self))


def _frozen_setattr(self: Any, name: str, value: Any) -> None:
    raise FrozenRecordError(f"cannot assign to field {name!r}: {type(self).__name__} is frozen")


def _frozen_delattr(self: Any, name: str) -> None:
    raise FrozenRecordError(f"cannot delete field {name!r}: {type(self).__name__} is frozen")


@dataclass_transform(field_specifiers=(field,))
def record(cls: type[T] | None = None, *, frozen: bool = False) -> Any:
    """Make ``cls`` a record: ``@record`` or ``@record(frozen=True)``."""

    def make(cls: type[T]) -> type[T]:
        names: list[str] = []
        defaults: dict[str, Any] = {}
        for base in reversed(cls.__mro__[1:]):
            names += [n for n in getattr(base, "__record_fields__", ()) if n not in names]
            defaults |= getattr(base, "__record_defaults__", {})
        for name in cls.__dict__.get("__annotations__", {}):
            if name not in names:
                names.append(name)
            if name in cls.__dict__:
                value = cls.__dict__[name]
                defaults[name] = value
                if isinstance(value, _Factory):
                    delattr(cls, name)
        methods: dict[str, Any] = {
            "__record_fields__": tuple(names),
            "__record_defaults__": defaults,
            "__match_args__": tuple(names),
            "__init__": _init,
        }
        if "__repr__" not in cls.__dict__:
            methods["__repr__"] = _repr
        if "__eq__" not in cls.__dict__:
            methods["__eq__"] = _eq
        if frozen:
            methods |= {"__setattr__": _frozen_setattr, "__delattr__": _frozen_delattr}
            if cls.__dict__.get("__hash__") is None:
                methods["__hash__"] = _hash
        else:
            methods["__hash__"] = None  # mutable: unhashable, as dataclasses make it
        for name, value in methods.items():
            setattr(cls, name, value)
        return cls

    return make if cls is None else make(cls)
