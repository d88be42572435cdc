"""Login under attack: growing delays per account and per address instead of a lock (the owner gets in),
a limit per client address shared by every web process (Redis), an aggregated audit of a burst, and no
timing difference between known and unknown names (a dummy hash is checked)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
from datetime import timedelta

import pytest
import redis
from argon2 import PasswordHasher, extract_parameters
from sqlalchemy import func, select

from engine.staff import accounts
from engine.staff.accounts import deactivate_staff
from engine.staff.login_throttle import ACCOUNT_CAP, ADDRESS_CAP, delay
from engine.store.tables import AuditEvent, Staff
from tests.web.conftest import PASSWORD, csrf_token
from web.app import create_app

ATTACKER = "203.0.113.66"
OWNER = "198.51.100.7"


@pytest.fixture
def make_app(app, deployed, tmp_path):  # app: the staff are added with it
    def make(**config):
        return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "LOTSE_CONTEXT": deployed, **config})

    return make


def _login(client, username: str, password: str, address: str = "127.0.0.1"):
    environ = {"REMOTE_ADDR": address}
    token = csrf_token(client.get("/login", environ_base=environ).get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        environ_base=environ,
    )


def _audit(ctx, action: str) -> list[str]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(AuditEvent.detail).where(AuditEvent.action == action)))


def test_the_delays_grow_and_stop_at_their_caps():
    assert [delay(n, ACCOUNT_CAP).total_seconds() for n in range(1, 11)] == [0, 0, 0, 2, 4, 8, 16, 30, 30, 30]
    assert delay(12, ADDRESS_CAP) == timedelta(minutes=5) and delay(10_000, ADDRESS_CAP) == ADDRESS_CAP


def test_an_attack_on_an_account_never_keeps_its_owner_out(make_app, clock, deployed):
    """Guessing as fast as the delays allow, for an hour; the owner, elsewhere, waits half a minute at most."""
    app = make_app(LOTSE_LOGIN_RATE_LIMIT="10000/minute")
    attacker, owner = app.test_client(), app.test_client()
    checked = 0
    started = clock.now()
    for _ in range(500):  # bounded, should the delays ever stop moving the clock
        if clock.now() - started >= timedelta(hours=1):
            break
        response = _login(attacker, "tara", "rate-mal-rate-mal", ATTACKER)
        if response.status_code == 429:
            clock.advance(timedelta(seconds=int(response.headers["Retry-After"])))
        else:
            assert response.status_code == 401
            checked += 1
    assert 10 < checked < 40  # four free guesses, then at most one per 30 s … 5 min
    response = _login(owner, "tara", PASSWORD, OWNER)
    if response.status_code == 429:
        assert int(response.headers["Retry-After"]) <= ACCOUNT_CAP.total_seconds()
        assert "Bitte warten Sie" in response.get_data(as_text=True)
        clock.advance(timedelta(seconds=int(response.headers["Retry-After"])))
        response = _login(owner, "tara", PASSWORD, OWNER)
    assert response.status_code == 302 and owner.get("/status").status_code == 200
    assert _audit(deployed, "logged_in")[-1].startswith("after ")


def test_a_delayed_attempt_is_not_even_checked(make_app, clock):
    """Within the delay the right password is refused too: a guess there would tell nothing anyway."""
    app = make_app(LOTSE_LOGIN_RATE_LIMIT="10000/minute")
    client = app.test_client()
    for _ in range(4):
        _login(client, "anna", "falsch-falsch-falsch")
    refused = _login(client, "anna", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "2"
    clock.advance(timedelta(seconds=2))
    assert _login(client, "anna", PASSWORD).status_code == 302


def test_a_burst_over_many_names_checks_a_few_and_audits_fewer(make_app, deployed):
    """1,425 attempts over 400 names in 10 s each wrote an audit row; now the address waits after a few."""
    app = make_app(LOTSE_LOGIN_RATE_LIMIT="10000/minute")
    client = app.test_client()
    answers = [_login(client, f"name{n}", "passwort-passwort", ATTACKER).status_code for n in range(400)]
    assert answers.count(401) == 4 and answers.count(429) == 396
    assert len(_audit(deployed, "login_failed")) == 3
    assert _login(client, "anna", PASSWORD, OWNER).status_code == 302  # another address is not held up


def test_the_audit_of_a_long_burst_is_aggregated(make_app, clock, deployed):
    app = make_app(LOTSE_LOGIN_RATE_LIMIT="10000/minute")
    client = app.test_client()
    failures = 0
    for _ in range(100):
        if failures == 12:
            break
        response = _login(client, "anna", "falsch-falsch-falsch", ATTACKER)
        if response.status_code == 429:
            clock.advance(timedelta(seconds=int(response.headers["Retry-After"])))
        else:
            failures += 1
    assert len(_audit(deployed, "login_failed")) == 3
    bursts = _audit(deployed, "login_failed_burst")
    assert len(bursts) == 2 and {burst.split(":")[0] for burst in bursts} == {"login", "address"}
    assert all(burst.endswith(" 10") for burst in bursts) and all("anna" not in burst for burst in bursts)


def test_the_limit_per_address_refuses_further_attempts(make_app):
    app = make_app(LOTSE_LOGIN_RATE_LIMIT="3/minute")
    client = app.test_client()
    for _ in range(3):
        assert _login(client, "anna", PASSWORD, ATTACKER).status_code == 302
    refused = _login(client, "anna", PASSWORD, ATTACKER)
    assert refused.status_code == 429 and "Zu viele Anmeldeversuche von Ihrer Adresse" in refused.get_data(
        as_text=True
    )
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert _login(client, "anna", PASSWORD, OWNER).status_code == 302
    assert (
        client.get("/login", environ_base={"REMOTE_ADDR": ATTACKER}).status_code == 200
    )  # only attempts count


def test_ipv6_clients_are_limited_by_their_network(make_app):
    app = make_app(LOTSE_LOGIN_RATE_LIMIT="2/minute")
    client = app.test_client()
    assert _login(client, "anna", PASSWORD, "2001:db8:1:2::10").status_code == 302
    assert _login(client, "anna", PASSWORD, "2001:db8:1:2::99").status_code == 302
    assert _login(client, "anna", PASSWORD, "2001:db8:1:2:ffff::1").status_code == 429
    assert _login(client, "anna", PASSWORD, "2001:db8:1:3::10").status_code == 302


# -- the limit across web processes ------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def redis_url(tmp_path):
    """A throw-away redis-server on a free loopback port (nothing persisted), stopped after the test."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail("redis-server is required in CI (apt-get install redis-server)")
        pytest.skip("redis-server is not installed (apt-get install redis-server)")
    port = _free_port()
    config = tmp_path / "redis.conf"
    config.write_text(
        f'port {port}\nbind 127.0.0.1\nprotected-mode yes\nsave ""\nappendonly no\n'
        f"dir {tmp_path}\nlogfile {tmp_path / 'redis.log'}\ndaemonize no\n"
    )
    server = subprocess.Popen([binary, str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                redis.Redis.from_url(url, socket_timeout=1).ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or server.poll() is not None:
                    pytest.fail(f"redis-server did not start: {(tmp_path / 'redis.log').read_text()[-500:]}")
                time.sleep(0.05)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=10)


def _alternate(first, second, attempts: int) -> list[int]:
    clients = (first.test_client(), second.test_client())
    return [_login(clients[n % 2], "anna", PASSWORD, ATTACKER).status_code for n in range(attempts)]


def test_two_web_processes_share_the_limit_through_redis(make_app, redis_url):
    first = make_app(LOTSE_RATE_LIMIT_STORAGE=redis_url, LOTSE_LOGIN_RATE_LIMIT="6/minute")
    second = make_app(LOTSE_RATE_LIMIT_STORAGE=redis_url, LOTSE_LOGIN_RATE_LIMIT="6/minute")
    assert _alternate(first, second, 8) == [302] * 6 + [429, 429]


def test_with_memory_storage_each_process_counts_alone(make_app):
    """The contrast that makes the Redis test mean something: memory:// is per process."""
    first = make_app(LOTSE_RATE_LIMIT_STORAGE="memory://", LOTSE_LOGIN_RATE_LIMIT="6/minute")
    second = make_app(LOTSE_RATE_LIMIT_STORAGE="memory://", LOTSE_LOGIN_RATE_LIMIT="6/minute")
    assert _alternate(first, second, 8) == [302] * 8


# -- unknown names take as long as known ones -------------------------------------------------------


class CountingHasher(PasswordHasher):
    """The suite's cheap argon2 that also notes every hash it verifies against."""

    def __init__(self) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.verified: list[str] = []

    def verify(self, hash: str | bytes, password: str | bytes) -> bool:
        self.verified.append(hash if isinstance(hash, str) else hash.decode())
        return super().verify(hash, password)


def test_unknown_and_deactivated_names_are_checked_against_a_hash_like_a_real_one(
    client, deployed, monkeypatch
):
    hasher = CountingHasher()
    monkeypatch.setattr(accounts, "_hasher", hasher)
    with deployed.unit_of_work(writes=False) as session:
        real = session.scalar(select(Staff.password_hash).where(Staff.username == "anna"))
        hashes = set(session.scalars(select(Staff.password_hash)))
    deactivate_staff(deployed, "ada", "ben")
    for username, address in (("anna", "192.0.2.1"), ("niemand", "192.0.2.2"), ("ben", "192.0.2.3")):
        hasher.verified.clear()
        assert _login(client, username, "falsch-falsch-falsch", address).status_code == 401
        assert len(hasher.verified) == 1, username  # exactly one argon2 verification each
        assert extract_parameters(hasher.verified[0]) == extract_parameters(real), username
    dummy = _dummy_of(hasher, client, deployed)
    assert dummy not in hashes


def _dummy_of(hasher: CountingHasher, client, deployed) -> str:
    hasher.verified.clear()
    _login(client, "noch-niemand", "falsch-falsch-falsch", "192.0.2.4")
    with deployed.unit_of_work(writes=False) as session:
        assert (
            session.scalar(select(func.count()).select_from(Staff).where(Staff.username == "noch-niemand"))
            == 0
        )
    return hasher.verified[0]


def test_behind_a_proxy_the_forwarded_address_counts(monkeypatch, make_app):
    """With LOTSE_PROXY_HOPS the address the proxy saw is the client's; without it the header is ignored."""
    monkeypatch.setenv("LOTSE_PROXY_HOPS", "1")
    app = make_app(LOTSE_LOGIN_RATE_LIMIT="1/minute")
    client = app.test_client()

    def via_proxy(address: str):
        headers = {
            "X-Forwarded-For": address,
            "X-Forwarded-Proto": "https",
            "X-Forwarded-Host": "lotse.example",
        }
        token = csrf_token(client.get("/login", headers=headers).get_data(as_text=True))
        data = {"username": "anna", "password": PASSWORD, "csrf_token": token}
        return client.post("/login", data=data, headers={**headers, "Origin": "https://lotse.example"})

    assert via_proxy(ATTACKER).status_code == 302
    assert via_proxy(ATTACKER).status_code == 429
    allowed = via_proxy(OWNER)
    assert allowed.status_code == 302 and "Strict-Transport-Security" in allowed.headers


def test_without_a_proxy_setting_a_forwarded_address_is_not_believed(make_app):
    app = make_app(LOTSE_LOGIN_RATE_LIMIT="1/minute")
    client = app.test_client()
    first = _login(client, "anna", PASSWORD)
    token = csrf_token(client.get("/login").get_data(as_text=True))
    spoofed = client.post(
        "/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": token},
        headers={"X-Forwarded-For": OWNER},
    )
    assert first.status_code == 302 and spoofed.status_code == 429
