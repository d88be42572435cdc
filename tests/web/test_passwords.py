"""Passwords: forgotten-password links (single use, expiry, the same answer and similar time for unknown
addresses), the change page (current password required, other sessions end), strength, argon2 rehash."""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

import pytest
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import select, update

from engine.staff import accounts
from engine.store.tables import Staff
from tests.web.account_mail import account_mails, link_path
from tests.web.conftest import PASSWORD, Auth, csrf_token
from web.app import create_app

FORGOTTEN = "/passwort/vergessen"
STRONG = "Leuchtturm-Kompass-Nebel-42"


@pytest.fixture
def with_addresses(app, deployed):
    with deployed.unit_of_work() as session:
        session.execute(update(Staff).values(email=Staff.username + "@example.org"))
        session.commit()
    return app


def _post(client, path: str, data: dict, page: str | None = None):
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _ask(client, address: str):
    return _post(client, FORGOTTEN, {"email": address})


def test_unknown_and_known_addresses_get_the_same_answer(with_addresses, client, deployed):
    known = _ask(client, "Anna@example.org")
    known_page = client.get(known.headers["Location"]).get_data(as_text=True)
    unknown = _ask(client, "niemand@example.org")
    unknown_page = client.get(unknown.headers["Location"]).get_data(as_text=True)
    assert (known.status_code, known.headers["Location"]) == (
        unknown.status_code,
        unknown.headers["Location"],
    )
    assert "ist ein Link zum Zurücksetzen unterwegs" in known_page
    assert known_page.replace(csrf_token(known_page), "") == unknown_page.replace(
        csrf_token(unknown_page), ""
    )
    assert len(account_mails(deployed, "staff:anna")) == 1


def test_unknown_and_known_addresses_take_a_similar_time(with_addresses, client):
    token = csrf_token(client.get(FORGOTTEN).get_data(as_text=True))

    def duration(address: str) -> float:
        started = time.perf_counter()
        client.post(FORGOTTEN, data={"email": address, "csrf_token": token})
        return time.perf_counter() - started

    for address in ("ben@example.org", "x@example.org"):  # warm up both paths
        duration(address)
    known = statistics.median(duration("anna@example.org") for _ in range(7))
    unknown = statistics.median(duration("niemand@example.org") for _ in range(7))
    assert abs(known - unknown) < max(0.05, 0.5 * min(known, unknown)), (known, unknown)


def test_a_reset_link_works_once_and_ends_every_session(app, with_addresses, client, deployed):
    anna = app.test_client()
    Auth(anna).login("anna")
    _ask(client, "anna@example.org")
    path = link_path(account_mails(deployed, "staff:anna")[0])
    mismatch = _post(client, path, {"password": STRONG, "repeated": STRONG + "x"})
    assert mismatch.status_code == 200 and "verschieden" in mismatch.get_data(as_text=True)
    assert _post(client, path, {"password": STRONG, "repeated": STRONG}).status_code == 302
    assert anna.get("/").headers["Location"].startswith("/login")  # the old session ended
    assert client.get(path).status_code == 410
    assert Auth(client).login("anna", PASSWORD).status_code == 401
    assert Auth(client).login("anna", STRONG).status_code == 302


def test_a_reset_link_expires_after_an_hour(with_addresses, client, deployed, clock):
    _ask(client, "anna@example.org")
    path = link_path(account_mails(deployed, "staff:anna")[0])
    clock.advance(timedelta(hours=1))
    assert client.get(path).status_code == 410


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(app, client, auth):
    auth.login("anna")
    laptop = app.test_client()
    Auth(laptop).login("anna")
    wrong = _post(client, "/konto/passwort", {"current": "falsch", "password": STRONG, "repeated": STRONG})
    assert wrong.status_code == 422 and "bisherige Passwort stimmt nicht" in wrong.get_data(as_text=True)
    weak = _post(
        client,
        "/konto/passwort",
        {"current": PASSWORD, "password": "anna12345678", "repeated": "anna12345678"},
    )
    assert weak.status_code == 422 and "zu leicht zu erraten" in weak.get_data(as_text=True)
    assert laptop.get("/").status_code == 200  # nothing changed yet
    done = _post(client, "/konto/passwort", {"current": PASSWORD, "password": STRONG, "repeated": STRONG})
    assert done.status_code == 302
    assert client.get("/").status_code == 200  # this session stays
    assert laptop.get("/").headers["Location"].startswith("/login")


def test_a_hash_with_old_parameters_is_upgraded_at_login(app, client, auth, deployed):
    cheaper = PasswordHasher(time_cost=1, memory_cost=512, parallelism=1)
    with deployed.unit_of_work() as session:
        session.execute(
            update(Staff).where(Staff.username == "anna").values(password_hash=cheaper.hash(PASSWORD))
        )
        session.commit()
    assert auth.login("anna").status_code == 302
    with deployed.unit_of_work(writes=False) as session:
        stored = session.scalar(select(Staff.password_hash).where(Staff.username == "anna"))
    assert extract_parameters(stored).memory_cost == accounts._hasher.memory_cost != 512


def test_reset_requests_are_limited_per_address(app, deployed, tmp_path):
    limited = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": tmp_path,
            "LOTSE_CONTEXT": deployed,
            "LOTSE_LOGIN_RATE_LIMIT": "2/minute",
        }
    )
    client = limited.test_client()
    for _ in range(2):
        assert _ask(client, "niemand@example.org").status_code == 302
    refused = _ask(client, "niemand@example.org")
    assert refused.status_code == 429 and "Zu viele Anfragen" in refused.get_data(as_text=True)
