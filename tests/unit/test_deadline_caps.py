"""The deadline helpers model code calls refuse absurd amounts at once, with a clear model error,
instead of computing holidays for centuries (``arbeitstage(10**9)`` ran for ever and filled memory)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.deadline_functions import MAX_DAYS, MAX_HOURS, MAX_WORKING_HOURS, expression_helpers
from engine.sandbox.restricted import Sandbox

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def helpers():
    return expression_helpers(BusinessCalendar(), lambda: NOW)


@pytest.mark.parametrize(
    "call",
    [
        "arbeitstage(10**9)",
        "arbeitstage(-10**9)",
        "arbeitsstunden(10**12)",
        "kalendertage(10**9)",
        "kalenderstunden(1e300)",
        "frist(10**9, 'arbeitstage')",
        "frist(10**9, 'arbeitsstunden', '2026-06-01T10:00:00+02:00')",
    ],
)
def test_an_absurd_amount_is_a_clear_model_error_at_once(helpers, call):
    sandbox = Sandbox(helpers)
    began = time.monotonic()
    with pytest.raises(ValueError, match=r"at most .* allowed") as refused:
        sandbox.evaluate(call, {})
    assert time.monotonic() - began < 0.5
    assert "höchstens" in str(refused.value)


@pytest.mark.parametrize(
    ("name", "amount"),
    [
        ("arbeitstage", MAX_DAYS),
        ("kalendertage", MAX_DAYS),
        ("arbeitsstunden", MAX_WORKING_HOURS),
        ("kalenderstunden", MAX_HOURS),
    ],
)
def test_amounts_up_to_the_maximum_still_work(helpers, name, amount):
    began = time.monotonic()
    due = datetime.fromisoformat(helpers[name](amount))
    assert time.monotonic() - began < 2.0
    assert 2030 < due.year < 2050
    with pytest.raises(ValueError):
        helpers[name](amount + 1)
