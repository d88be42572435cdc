"""Guards in front of the single operations of model code that a loop tick cannot interrupt.

The sandbox compiles ``a * b``, ``a ** b``, ``a << b``, ``a + b``, ``a % b``, f-string format specs
and ``[*a]`` into calls of these functions (see ``engine.sandbox.bounding``). Each one estimates,
from the sizes of its operands, what the C-level operation would build before it runs it: a number
of more than :data:`MAX_INT_BITS` binary digits is refused as too slow to compute, a value that
would not fit in the memory allowance is refused as too big. Values too long for C-level consumers
(a ``range`` over more than :data:`NATIVE_RANGE` numbers, unsized iterators) are handed over in a
form that ticks the budget as it is consumed.
"""

from __future__ import annotations

import operator
import re
import sys
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from itertools import islice
from typing import Any

from engine.sandbox.budget import current
from engine.sandbox.errors import german_number

__all__ = [
    "MAX_INT_BITS",
    "LongRange",
    "bounded_range",
    "guarded_add",
    "guarded_format",
    "guarded_fstring",
    "guarded_inplace",
    "guarded_iter_unpack_sequence",
    "guarded_lshift",
    "guarded_mod",
    "guarded_mul",
    "guarded_pow",
    "guarded_unpack",
    "guarded_unpack_sequence",
    "materialise",
    "ticking",
]

MAX_INT_BITS = 2**16  # a product of two such numbers takes a few milliseconds
MAX_INT_DIGITS = 19_728  # decimal digits of a number of MAX_INT_BITS binary digits
MAX_MODPOW_WORK = 2**22  # binary digits of the exponent times those of the modulus, for pow(a, b, m)
SMALL = 2**12  # items: results up to this size are not estimated at all
NATIVE_RANGE = 2**20  # longer ranges are iterated in Python, one tick per number
CHUNK = 2**12  # items materialised between two checks of the budget
_SEQUENCES = (str, bytes, list, tuple)
_NATIVE = frozenset({str, bytes, list, tuple, dict, set, frozenset, range})
_POINTER = 8
_HALF = 1 << MAX_INT_BITS // 2  # two factors below this have a product within MAX_INT_BITS
_LARGE = 1 << MAX_INT_BITS - 1  # two summands below this have a sum within MAX_INT_BITS
_MINUS_HALF, _MINUS_LARGE = -_HALF, -_LARGE


# -- numbers -------------------------------------------------------------------------------------


def refuse_number(bits: int) -> None:
    current().refuse(
        "time",
        f"it computed a number with {bits:,} binary digits (at most {MAX_INT_BITS:,})",
        f"er eine Zahl mit {german_number(bits)} Binärstellen berechnete (höchstens {german_number(MAX_INT_BITS)})",
    )


def _is_int(value: Any) -> bool:
    return type(value) is int or type(value) is bool


def guarded_pow(base: Any, exponent: Any, modulus: Any = None) -> Any:
    """``base ** exponent`` and ``pow()``: refuse integers beyond MAX_INT_BITS."""
    if modulus is not None:
        if _is_int(base) and _is_int(exponent) and _is_int(modulus):
            work = exponent.bit_length() * max(modulus.bit_length(), 1)
            if work > MAX_MODPOW_WORK:
                refuse_number(work)
        return pow(base, exponent, modulus)
    if _is_int(base) and _is_int(exponent) and exponent > 0:
        bits = base.bit_length()
        if bits > 1 and (bits - 1) * exponent + 1 > MAX_INT_BITS:
            refuse_number((bits - 1) * exponent + 1)
    return base**exponent


def guarded_lshift(value: Any, shift: Any) -> Any:
    if _is_int(value) and _is_int(shift) and value and value.bit_length() + shift > MAX_INT_BITS:
        refuse_number(value.bit_length() + shift)
    return value << shift


# -- sequences -----------------------------------------------------------------------------------


def _reserve(nbytes: int, operation: str, german: str) -> None:
    current().reserve(nbytes, operation, german)


def guarded_mul(left: Any, right: Any) -> Any:
    """``left * right``: products of big integers and repetitions of sequences, estimated first."""
    if type(left) is int and type(right) is int:
        if not (_MINUS_HALF < left < _HALF and _MINUS_HALF < right < _HALF):
            _check_product(left, right)
    elif type(left) in _SEQUENCES and _is_int(right):
        _check_repetition(left, right)
    elif type(right) in _SEQUENCES and _is_int(left):
        _check_repetition(right, left)
    return left * right


def _check_product(left: int, right: int) -> None:
    if left.bit_length() + right.bit_length() > MAX_INT_BITS:
        refuse_number(left.bit_length() + right.bit_length())


def _check_repetition(sequence: Any, count: int) -> None:
    if count > 0 and len(sequence) * count > SMALL:
        _reserve(len(sequence) * count * item_bytes(sequence), "the repetition '*'", "die Wiederholung '*'")


def item_bytes(sequence: Any) -> int:
    """Bytes per item of a sequence like this one (4 for any non-ASCII string: the widest case)."""
    if type(sequence) is str:
        return 1 if sequence.isascii() else 4
    return 1 if type(sequence) is bytes else _POINTER


def guarded_add(left: Any, right: Any) -> Any:
    """``left + right``: concatenations estimated first; integers grow one binary digit at most."""
    kind = type(left)
    if kind in _SEQUENCES and type(right) is kind:
        if len(left) + len(right) > SMALL:
            _reserve(
                sys.getsizeof(left) + sys.getsizeof(right), "the concatenation '+'", "die Verkettung '+'"
            )
    elif (
        kind is int
        and type(right) is int
        and not (_MINUS_LARGE < left < _LARGE and _MINUS_LARGE < right < _LARGE)
    ):
        refuse_number(max(left.bit_length(), right.bit_length()) + 1)
    return left + right


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": guarded_add,
    "-=": operator.isub,
    "*=": guarded_mul,
    "/=": operator.itruediv,
    "//=": operator.ifloordiv,
    "%=": lambda left, right: guarded_mod(left, right),
    "**=": guarded_pow,
    "<<=": guarded_lshift,
    ">>=": operator.irshift,
    "|=": operator.ior,
    "^=": operator.ixor,
    "&=": operator.iand,
    "@=": operator.imatmul,
}


def guarded_inplace(op: str, target: Any, value: Any) -> Any:
    """``target op= value`` for a plain name (RestrictedPython's ``_inplacevar_``)."""
    if op == "+=":
        return _extended(target, value) if type(target) is list else guarded_add(target, value)
    try:
        function = _INPLACE[op]
    except KeyError:
        raise TypeError(f"unsupported augmented assignment {op!r}") from None
    return function(target, value)


def _extended(target: list[Any], value: Any) -> list[Any]:
    """``target += value`` on a list: in place, the items of an iterator taken before (it may run over
    ``target`` itself, and would never end)."""
    items = value if type(value) in (list, tuple) else materialise(value)
    if len(target) + len(items) > SMALL:
        _reserve(_POINTER * (len(target) + len(items)), "the extension '+='", "die Erweiterung '+='")
    target += items
    return target


def materialise(iterable: Iterable[Any]) -> list[Any]:
    """A new list of the items: sized inputs estimated first, others taken in chunks between checks."""
    size = _native_size(iterable)
    if size is not None:
        if size > SMALL:
            _reserve(_POINTER * size * (5 if type(iterable) is range else 1), "a list", "eine Liste")
        return list(iterable)
    if type(iterable) is LongRange:
        _reserve(_POINTER * 5 * iterable.length, "a list", "eine Liste")
    items: list[Any] = []
    iterator = iter(iterable)
    budget = current()
    while True:
        before = len(items)
        items.extend(islice(iterator, CHUNK))
        if len(items) - before < CHUNK:
            return items
        budget.check()


def _native_size(iterable: Any) -> int | None:
    """The length of a built-in container, whose items C code reads without running model code."""
    return len(iterable) if type(iterable) in _NATIVE else None


def guarded_unpack(value: Any) -> Any:
    """``*value`` in a list, tuple or set display: no bigger at once than the memory allowance."""
    if _native_size(value) is None:
        return materialise(value)
    if len(value) > SMALL:
        _reserve(_POINTER * len(value), "the unpacking '*'", "das Entpacken '*'")
    return value


# -- ranges --------------------------------------------------------------------------------------


def bounded_range(*arguments: Any) -> range | LongRange:
    """``range(...)``: a real range up to NATIVE_RANGE numbers, a ticking one beyond."""
    numbers = range(*arguments)
    try:
        short = len(numbers) <= NATIVE_RANGE
    except OverflowError:
        short = False
    return numbers if short else LongRange(numbers)


def _ticking(iterator: Iterator[Any]) -> Iterator[Any]:
    budget = current()
    for item in iterator:
        budget.tick()
        yield item


def ticking(items: Iterable[Any]) -> Iterator[Any]:
    """An iterator over ``items`` that ticks the budget at every item: for a list that C code runs
    through while a C callback makes it longer (``any(map(liste.append, liste))``)."""
    return _ticking(iter(items))


def guarded_unpack_sequence(it: Any, spec: dict[str, Any], getiter: Callable[[Any], Any]) -> list[Any]:
    """RestrictedPython's ``_unpack_sequence_`` (``a, *b = it``), materialising within the bounds."""
    items = materialise(it)
    if len(items) >= spec["min_len"]:
        for index, child in spec["childs"]:
            items[index] = guarded_unpack_sequence(items[index], child, getiter)
    return items


def guarded_iter_unpack_sequence(
    it: Any, spec: dict[str, Any], getiter: Callable[[Any], Any]
) -> Iterator[Any]:
    """RestrictedPython's ``_iter_unpack_sequence_`` (``for a, b in it``)."""
    for item in getiter(it):
        yield guarded_unpack_sequence(item, spec, getiter)


class LongRange:
    """A range too long to hand to C code: iterated in Python with a tick per number."""

    __slots__ = ("_numbers",)

    def __init__(self, numbers: range) -> None:
        self._numbers = numbers

    start = property(lambda self: self._numbers.start)
    stop = property(lambda self: self._numbers.stop)
    step = property(lambda self: self._numbers.step)

    def __iter__(self) -> Iterator[int]:
        return _ticking(iter(self._numbers))

    def __reversed__(self) -> Iterator[int]:
        return _ticking(reversed(self._numbers))

    def __len__(self) -> int:
        return len(self._numbers)

    @property
    def length(self) -> int:
        """The number of numbers, also beyond ``sys.maxsize`` where ``len()`` fails."""
        try:
            return len(self._numbers)
        except OverflowError:
            return sys.maxsize

    def __bool__(self) -> bool:
        return bool(self._numbers)

    def __contains__(self, value: object) -> bool:
        if _is_int(value):
            return value in self._numbers
        return any(value == number for number in self)

    def __getitem__(self, key: Any) -> Any:
        found = self._numbers[key]
        return LongRange(found) if isinstance(found, range) and len(found) > NATIVE_RANGE else found

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LongRange) and self._numbers == other._numbers

    def __hash__(self) -> int:
        return hash(self._numbers)

    def __repr__(self) -> str:
        return repr(self._numbers)

    def count(self, value: object) -> int:
        return self._numbers.count(value) if _is_int(value) else sum(1 for number in self if number == value)

    def index(self, value: object) -> int:
        if _is_int(value):
            return self._numbers.index(value)
        for position, number in enumerate(self):
            if number == value:
                return position
        raise ValueError(f"{value!r} is not in range")


# -- formatting ----------------------------------------------------------------------------------

_NUMBERS = re.compile(r"\d+")
_PRINTF = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?[hlL]?([diouxXeEfFgGcrsab%])")
_INTEGER_CONVERSIONS = frozenset("diouxXc")


def _check_width(width: int) -> None:
    if width > SMALL:
        _reserve(width, "the formatting", "die Formatierung")


def guarded_format(value: Any, conversion: int, spec: str) -> str:
    """An f-string field with a format spec (``f'{x!r:>{w}}'``): widths and precisions estimated first."""
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("s"):
        value = str(value)
    elif conversion == ord("a"):
        value = ascii(value)
    width = sum(int(number) for number in _NUMBERS.findall(spec))
    if isinstance(value, Decimal) and value.is_finite():
        width += abs(value.adjusted())
    _check_width(width)
    return format(value, spec)


def guarded_fstring(text: str) -> str:
    """A finished f-string: a big one is followed by a check of the budget."""
    if len(text) > SMALL:
        current().check()
    return text


def guarded_mod(left: Any, right: Any) -> Any:
    """``left % right``: printf-style formatting checked for widths, precisions and huge numbers."""
    kind = type(left)
    if kind is str:
        _check_printf(left, right)
        return guarded_fstring(left % right)
    if kind is bytes:
        _check_printf(left.decode("latin-1"), right)
    return left % right


def _check_printf(template: str, arguments: Any) -> None:
    values = arguments if type(arguments) is tuple else (arguments,)
    width = 0
    integer = False
    for field_width, precision, conversion in _PRINTF.findall(template):
        for number in (field_width, precision):
            width += int(number) if number.isdigit() else 0
        integer = integer or conversion in _INTEGER_CONVERSIONS
    if "*" in template:
        width += sum(value for value in values if _is_int(value) and value > 0)
    for value in values:
        if isinstance(value, Decimal) and value.is_finite():
            digits = abs(value.adjusted())
            if integer and digits > MAX_INT_DIGITS:
                refuse_number(digits * 10 // 3)
            width += digits
    _check_width(width)
