"""A TOTP code sent from several signed-in browsers at the same instant is accepted once: the person's row
is locked while the time step is checked and recorded (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading
from datetime import timedelta

import pyotp
import pytest
from argon2 import PasswordHasher

from engine.staff import accounts
from engine.staff.accounts import add_staff
from engine.staff.login import log_in
from engine.staff.second_factor import (
    SecondFactorRefused,
    confirm_enrolment,
    pass_second_factor,
    start_enrolment,
)

THREADS = 8
PASSWORD = "ein-gutes-passwort"


@pytest.fixture(autouse=True)
def _cheap_hashing():
    original = accounts._hasher
    accounts._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    accounts._hasher = original


def test_one_code_from_many_browsers_at_once_is_taken_once(ctx, clock):
    add_staff(ctx, "test", "anna", "Anna", PASSWORD, ["beratung"])
    first = log_in(ctx, "anna", PASSWORD).token
    secret = start_enrolment(ctx, first).secret
    totp = pyotp.TOTP(secret)
    confirm_enrolment(ctx, first, totp.at(clock.now()))
    clock.advance(timedelta(seconds=30))
    tokens = [log_in(ctx, "anna", PASSWORD).token for _ in range(THREADS)]
    code = totp.at(clock.now())
    barrier = threading.Barrier(THREADS)
    outcomes: list[str] = []

    def attempt(token: str) -> None:
        barrier.wait()
        try:
            pass_second_factor(ctx, token, code)
            outcomes.append("passed")
        except SecondFactorRefused:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(token,)) for token in tokens]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(outcomes) == ["passed"] + ["refused"] * (THREADS - 1)
