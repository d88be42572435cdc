"""A long evaluation of model code shares the processor: the GIL's switch interval is short while it runs
and comes back afterwards, however the evaluation ends. (Without this a write beside a runaway waited
1.3-2.0 s for the GIL; the sweep and request tests in tests/integration and tests/web show the effect.)
"""

from __future__ import annotations

import sys
import threading

import pytest

from engine.sandbox import fair_share
from engine.sandbox.budget import Limits
from engine.sandbox.errors import ModelCodeBreach
from engine.sandbox.restricted import Sandbox

LIMITS = Limits(seconds=0.2, memory=64 * 2**20)


def test_a_short_evaluation_leaves_the_switch_interval_alone() -> None:
    before = sys.getswitchinterval()
    seen = []
    sandbox = Sandbox({"look": lambda: seen.append(sys.getswitchinterval()) or True}, LIMITS)
    assert sandbox.evaluate("sum(i for i in range(10)) and look()", {}) is True
    assert seen == [before] and sys.getswitchinterval() == before and fair_share.claims() == 0


def test_a_runaway_runs_with_a_short_interval_and_gives_it_back_at_its_breach() -> None:
    before = sys.getswitchinterval()
    seen: list[float] = []
    sandbox = Sandbox({"look": lambda: seen.append(sys.getswitchinterval()) or True}, LIMITS)
    with pytest.raises(ModelCodeBreach):
        sandbox.execute("n = 0\nwhile n >= 0:\n    n = n + 1\n    look()", {})
    assert (
        min(seen) == pytest.approx(fair_share.FAIR_INTERVAL) and min(seen) < before
    )  # once it ran long, the interval was short
    assert seen[0] == before  # and not before
    assert sys.getswitchinterval() == before and fair_share.claims() == 0


def test_a_long_evaluation_that_ends_normally_gives_the_interval_back() -> None:
    before = sys.getswitchinterval()
    seen: list[float] = []
    sandbox = Sandbox(
        {"look": lambda: seen.append(sys.getswitchinterval())}, Limits(seconds=30, memory=2**26)
    )
    context: dict = {}
    sandbox.execute("t = 0\nfor i in range(200000):\n    t = t + i\nlook()", context)
    assert context["t"] == sum(range(200000))
    assert seen == [pytest.approx(fair_share.FAIR_INTERVAL)]  # it ran long enough to share
    assert sys.getswitchinterval() == before and fair_share.claims() == 0


def test_two_runaways_in_two_threads_restore_the_interval_only_when_both_ended() -> None:
    before = sys.getswitchinterval()
    errors: list[BaseException] = []

    def runaway(seconds: float) -> None:
        try:
            Sandbox({}, Limits(seconds=seconds, memory=64 * 2**20)).execute("while 1 > 0:\n    pass", {})
        except ModelCodeBreach as breach:
            errors.append(breach)

    long_one = threading.Thread(target=runaway, args=(0.8,))
    long_one.start()
    runaway(0.2)  # ends first, in this thread
    assert long_one.is_alive() and sys.getswitchinterval() == pytest.approx(fair_share.FAIR_INTERVAL)
    long_one.join()
    assert len(errors) == 2 and sys.getswitchinterval() == before and fair_share.claims() == 0
