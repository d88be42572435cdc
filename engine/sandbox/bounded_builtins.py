"""Built-in functions, types and methods for model code, with the size guards of ``engine.sandbox.guards``.

Types keep working with ``isinstance`` (``isinstance(x, int)``): model code sees stand-ins whose
instance checks and class attributes go to the real type and whose calls go to a guard. Methods that
build a result from a size argument (``str.ljust``, ``str.join``, ``str.replace``, ``list.extend``,
``int.to_bytes`` …) are wrapped by the attribute guard ``guarded_getattr``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal
from types import MethodType
from typing import Any

from RestrictedPython import safe_builtins
from RestrictedPython.Guards import raise_, safer_getattr

from engine.sandbox.budget import current
from engine.sandbox.guards import (
    MAX_INT_BITS,
    MAX_INT_DIGITS,
    SMALL,
    bounded_range,
    guarded_add,
    guarded_fstring,
    guarded_pow,
    materialise,
    refuse_number,
    ticking,
)

__all__ = ["BOUNDED_BUILTINS", "MODEL_BUILTINS", "guarded_getattr"]

_POINTER = 8
_SET_ENTRY = 64  # bytes per entry of a set or dict, table and key objects included


class _StandIn(type):
    """Metaclass of the stand-ins for built-in types (see the module docstring)."""

    _real: type

    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, cls._real)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, cls._real)

    def __getattr__(cls, name: str) -> Any:
        return getattr(cls._real, name)

    def __repr__(cls) -> str:
        return repr(cls._real)


def _stand_in(real: type, construct: Callable[..., Any]) -> type:
    """A stand-in for ``real``; calling it calls ``construct`` (the metaclass's ``__call__``)."""
    metaclass = _StandIn(f"{real.__name__}_stand_in", (_StandIn,), {"__call__": staticmethod(construct)})
    return metaclass(real.__name__, (), {"_real": real})


def _reserve(nbytes: int, operation: str, german: str | None = None) -> None:
    current().reserve(nbytes, operation, german or operation)


# -- constructors ----------------------------------------------------------------------------------


def _list(iterable: Iterable[Any] = ()) -> list[Any]:
    return materialise(iterable)


def _tuple(iterable: Iterable[Any] = ()) -> tuple[Any, ...]:
    return iterable if type(iterable) is tuple else tuple(materialise(iterable))


def _set(iterable: Iterable[Any] = ()) -> set[Any]:
    items = iterable if isinstance(iterable, set | frozenset | dict) else materialise(iterable)
    if len(items) > SMALL:
        _reserve(_SET_ENTRY * len(items), "set()")
    return set(items)


def _dict(*args: Any, **kwargs: Any) -> dict[Any, Any]:
    if len(args) > 1:
        raise TypeError(f"dict expected at most 1 argument, got {len(args)}")
    source = args[0] if args else ()
    if not hasattr(source, "keys"):
        source = materialise(source)
    if len(source) + len(kwargs) > SMALL:
        _reserve(_SET_ENTRY * (len(source) + len(kwargs)), "dict()")
    return dict(source, **kwargs)


def _sorted(
    iterable: Iterable[Any], /, *, key: Callable[[Any], Any] | None = None, reverse: bool = False
) -> list[Any]:
    items = materialise(iterable)
    items.sort(key=key, reverse=reverse)
    return items


def _sum(iterable: Iterable[Any], /, start: Any = 0) -> Any:
    """``sum()``; adding up lists or tuples copies ever longer ones, so those are added one by one."""
    if not isinstance(start, list | tuple):
        return sum(iterable, start)
    budget = current()
    total = start
    for item in iterable:
        budget.tick()
        total = guarded_add(total, item)
    return total


def _ticking_lists(iterables: tuple[Any, ...]) -> list[Any]:
    """Lists among the inputs of a C iterator, made to tick: a C callback could make them longer."""
    return [ticking(items) if type(items) is list else items for items in iterables]


def _map(function: Callable[..., Any], *iterables: Any) -> Iterator[Any]:
    return map(function, *_ticking_lists(iterables))


def _filter(function: Callable[[Any], Any] | None, iterable: Any) -> Iterator[Any]:
    return filter(function, *_ticking_lists((iterable,)))


def _zip(*iterables: Any, strict: bool = False) -> Iterator[Any]:
    return zip(*_ticking_lists(iterables), strict=strict)


def _enumerate(iterable: Any, start: int = 0) -> Iterator[Any]:
    return enumerate(*_ticking_lists((iterable,)), start)


def _max(*args: Any, **kwargs: Any) -> Any:
    return max(*_ticking_lists(args) if "key" in kwargs else args, **kwargs)


def _min(*args: Any, **kwargs: Any) -> Any:
    return min(*_ticking_lists(args) if "key" in kwargs else args, **kwargs)


def _str(*args: Any, **kwargs: Any) -> str:
    return guarded_fstring(str(*args, **kwargs))


def _repr(value: Any) -> str:
    return guarded_fstring(repr(value))


def _int(*args: Any, **kwargs: Any) -> int:
    value = args[0] if args else kwargs.get("x")
    if isinstance(value, str | bytes) and len(value) > MAX_INT_BITS:
        refuse_number(len(value))
    _check_decimal(value)
    return int(*args, **kwargs)


def _check_decimal(value: Any) -> None:
    """A Decimal turned into an integer: no more digits than MAX_INT_DIGITS."""
    if isinstance(value, Decimal) and value.is_finite() and value.adjusted() > MAX_INT_DIGITS:
        refuse_number(value.adjusted() * 10 // 3)


def _round(number: Any, ndigits: Any = None) -> Any:
    if ndigits is None:
        _check_decimal(number)
    elif type(number) is int and type(ndigits) is int and ndigits < -MAX_INT_DIGITS:
        refuse_number(-ndigits * 10 // 3)
    return round(number) if ndigits is None else round(number, ndigits)


# -- methods ---------------------------------------------------------------------------------------


def _padded(name: str) -> Callable[..., Any]:
    def guard(text: Any, width: Any, *args: Any) -> Any:
        if type(width) is int and width > SMALL:
            _reserve(width * _char_size(text, *args), f"{type(text).__name__}.{name}")
        return getattr(text, name)(width, *args)

    return guard


def _char_size(*texts: Any) -> int:
    """Bytes per character of a result built from these (4 unless all are bytes or ASCII)."""
    return 1 if all(type(text) is bytes or (type(text) is str and text.isascii()) for text in texts) else 4


def _expandtabs(text: Any, tabsize: int = 8) -> Any:
    if type(tabsize) is int and tabsize > 1 and len(text) * tabsize > SMALL:
        _reserve(
            (len(text) + text.count("\t" if type(text) is str else b"\t") * tabsize) * _char_size(text),
            "expandtabs",
        )
    return text.expandtabs(tabsize)


def _join(separator: Any, iterable: Iterable[Any]) -> Any:
    items = iterable if type(iterable) in (list, tuple) else materialise(iterable)
    if len(items) > 1 and len(separator) * len(items) > SMALL:
        _reserve(len(separator) * len(items) * _char_size(separator), "join")
    try:
        total = sum(map(len, items))
    except TypeError:
        total = 0  # join itself says which item is not a string
    if total > SMALL:
        _reserve(total * _char_size(separator), "join")
    return separator.join(items)


def _replace(text: Any, old: Any, new: Any, count: int = -1) -> Any:
    if len(new) > len(old) and (len(text) + 1) * len(new) > SMALL:
        found = text.count(old)
        if count >= 0:
            found = min(found, count)
        _reserve((len(text) + found * (len(new) - len(old))) * _char_size(text, new), "replace")
    return text.replace(old, new, count)


def _translate(text: str, table: Any) -> str:
    if isinstance(table, dict | list | tuple) and len(text) > SMALL:
        values = table.values() if isinstance(table, dict) else table
        longest = max((len(value) for value in values if isinstance(value, str)), default=1)
        _reserve(len(text) * longest * 4, "translate")
    return text.translate(table)


def _split(name: str) -> Callable[..., Any]:
    def guard(text: Any, *args: Any, **kwargs: Any) -> Any:
        if len(text) > SMALL:
            _reserve(3 * _POINTER * len(text), f"{type(text).__name__}.{name}")
        return getattr(text, name)(*args, **kwargs)

    return guard


def _encode(text: str, *args: Any, **kwargs: Any) -> bytes:
    """``str.encode``: up to four bytes a character, ten with an escaping codec (``unicode_escape``)."""
    if len(text) > SMALL:
        encoding = str(args[0] if args else kwargs.get("encoding", "utf-8")).lower().replace("-", "_")
        plain = encoding.startswith(("utf", "latin", "ascii", "iso", "cp"))
        _reserve(len(text) * (4 if plain else 10), "str.encode")
    return text.encode(*args, **kwargs)


def _hex(data: bytes, *args: Any) -> str:
    """``bytes.hex``: two characters a byte, three with a separator."""
    if len(data) > SMALL:
        _reserve(3 * len(data), "bytes.hex")
    return data.hex(*args)


def _extend(items: list[Any], more: Iterable[Any]) -> None:
    more = more if type(more) in (list, tuple) else materialise(more)  # an iterator over ``items`` ends
    if len(items) + len(more) > SMALL:
        _reserve(_POINTER * (len(items) + len(more)), "list.extend")
    items.extend(more)


def _to_bytes(number: int, length: int = 1, *args: Any, **kwargs: Any) -> bytes:
    if type(length) is int and length > SMALL:
        _reserve(length, "int.to_bytes")
    return number.to_bytes(length, *args, **kwargs)


def _from_bytes(data: Any, *args: Any, **kwargs: Any) -> int:
    if len(data) * 8 > MAX_INT_BITS:
        refuse_number(len(data) * 8)
    return int.from_bytes(data, *args, **kwargs)


def _as_integer_ratio(number: Any) -> tuple[int, int]:
    _check_decimal(number)
    if isinstance(number, Decimal) and number.is_finite() and number.adjusted() < -MAX_INT_DIGITS:
        refuse_number(-number.adjusted() * 10 // 3)
    return number.as_integer_ratio()


_TEXT = (str, bytes)
_METHODS: dict[str, tuple[tuple[type, ...], Callable[..., Any]]] = {
    **{name: (_TEXT, _padded(name)) for name in ("ljust", "rjust", "center", "zfill")},
    **{name: (_TEXT, _split(name)) for name in ("split", "rsplit", "splitlines")},
    "expandtabs": (_TEXT, _expandtabs),
    "join": (_TEXT, _join),
    "replace": (_TEXT, _replace),
    "translate": ((str,), _translate),
    "extend": ((list,), _extend),
    "encode": ((str,), _encode),
    "hex": ((bytes,), _hex),
    "to_bytes": ((int, bool), _to_bytes),
    "from_bytes": ((int, bool), _from_bytes),
    "as_integer_ratio": ((Decimal,), _as_integer_ratio),
}


def guarded_getattr(obj: Any, name: str) -> Any:
    """RestrictedPython's ``_getattr_`` (``safer_getattr_raise``), with sized methods behind a guard."""
    value = safer_getattr(obj, name, raise_)
    entry = _METHODS.get(name)
    if entry is None:
        return value
    kinds, guard = entry
    if type(obj) in kinds:
        return guard if name == "from_bytes" else _bound(guard, obj)
    real = obj._real if isinstance(obj, _StandIn) else obj
    if real in kinds:  # taken from the type: called with the instance first (but int.from_bytes)
        return guard if name == "from_bytes" else _unbound(kinds, guard, value)
    return value


# The guarded methods are bound methods and closures, not functools.partial objects: a partial shows
# its arguments to model code (``.args``), and those would hand out the real built-in types the
# stand-ins hide; a bound method shows them only as ``__self__`` and ``__func__``, which RestrictedPython
# keeps from model code.


def _bound(guard: Callable[..., Any], obj: Any) -> Callable[..., Any]:
    return MethodType(guard, obj)


def _unbound(
    kinds: tuple[type, ...], guard: Callable[..., Any], real: Callable[..., Any]
) -> Callable[..., Any]:
    def method(*args: Any, **kwargs: Any) -> Any:
        if args and type(args[0]) in kinds:
            return guard(*args, **kwargs)
        return real(*args, **kwargs)

    return method


BOUNDED_BUILTINS: dict[str, Any] = {
    "range": _stand_in(range, bounded_range),
    "list": _stand_in(list, _list),
    "tuple": _stand_in(tuple, _tuple),
    "set": _stand_in(set, _set),
    "dict": _stand_in(dict, _dict),
    "str": _stand_in(str, _str),
    "int": _stand_in(int, _int),
    "map": _stand_in(map, _map),
    "filter": _stand_in(filter, _filter),
    "zip": _stand_in(zip, _zip),
    "enumerate": _stand_in(enumerate, _enumerate),
    "max": _max,
    "min": _min,
    "sorted": _sorted,
    "sum": _sum,
    "repr": _repr,
    "pow": guarded_pow,
    "round": _round,
}

# Entries of RestrictedPython's safe_builtins that process models do not get: class creation,
# guarded attribute writes that would fail on every allowed type anyway, a guard stored there, and
# exceptions outside the Exception hierarchy (raising SystemExit could stop a worker process).
_DROPPED_BUILTINS = frozenset(
    {
        "__build_class__",
        "_getattr_",
        "setattr",
        "delattr",
        "BaseException",
        "GeneratorExit",
        "KeyboardInterrupt",
        "SystemExit",
    }
)

_EXTRA_BUILTINS: dict[str, Any] = {
    "all": all,
    "any": any,
    "reversed": reversed,
    "datetime": datetime,
    "date": date,
    "timedelta": timedelta,
    "Decimal": Decimal,
}


def _model_builtins() -> dict[str, Any]:
    """The builtins visible to model code."""
    allowed = {name: value for name, value in safe_builtins.items() if name not in _DROPPED_BUILTINS}
    allowed.update(_EXTRA_BUILTINS)
    allowed.update(BOUNDED_BUILTINS)
    return allowed


MODEL_BUILTINS = _model_builtins()
