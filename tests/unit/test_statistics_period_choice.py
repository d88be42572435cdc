"""The period a team lead asks for on /statistik: numbers in ASCII digits only, anything else a field error."""

from __future__ import annotations

from datetime import date

import pytest

from engine.statistics.period_choice import choose

TODAY = date(2026, 12, 3)


@pytest.mark.parametrize("written", ["²³", "٢٠٢٦", "2026 ", "1e3", "-5", "9" * 5000, "x"])
def test_a_year_that_is_not_plain_digits_is_a_field_error_not_a_crash(written: str) -> None:
    choice = choose({"art": "jahr", "jahr": written}, TODAY)
    if written.strip() == "2026":
        assert not choice.errors and choice.year == 2026
    else:
        assert "jahr" in choice.errors and choice.year == TODAY.year
