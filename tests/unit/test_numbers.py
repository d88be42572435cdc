"""The one strict number reader: ASCII digits only, bounded length and range."""

from __future__ import annotations

import pytest

from engine.kernel.numbers import MAX_ID, NumberInvalid, require_whole_number, whole_number


@pytest.mark.parametrize(
    "text",
    [
        "⁶",
        "٣",
        "６",
        "1e3",
        "1.0",
        "0x10",
        "",
        " ",
        "1 2",
        "-1",
        "+1",
        "9" * 5000,
        str(MAX_ID + 1),
        None,
        7,
        "1_000",
    ],
)
def test_anything_but_ascii_digits_in_range_is_none(text):
    assert whole_number(text) is None
    with pytest.raises(NumberInvalid):
        require_whole_number(text)


@pytest.mark.parametrize(
    ("text", "low", "high", "expected"),
    [
        ("6", 0, 6, 6),
        (" 12 ", 0, 99, 12),
        ("06", 0, 6, 6),
        (str(MAX_ID), 0, MAX_ID, MAX_ID),
        ("-5", -9, 9, -5),
    ],
)
def test_ascii_digits_in_range_are_read(text, low, high, expected):
    assert whole_number(text, low, high) == expected


def test_the_range_is_checked_and_the_error_says_what_was_wanted():
    assert whole_number("7", 0, 6) is None
    with pytest.raises(NumberInvalid) as refused:
        require_whole_number("7" * 40, 0, 6)
    assert "from 0 to 6" in str(refused.value) and "…" in str(refused.value)
