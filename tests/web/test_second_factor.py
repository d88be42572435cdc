"""The second factor after the password (TOTP with a fixed clock, recovery codes), and that a session which
has given only the password reaches nothing but the second-factor pages and the logout."""

from __future__ import annotations

import re
from datetime import timedelta

import pyotp
import pytest
from sqlalchemy import select

from engine.staff.second_factor import reset_second_factor
from engine.staff.sessions import open_sessions
from engine.store.account_tables import RecoveryCode
from engine.store.tables import AuditEvent, OutboxMessage, Staff
from tests.web.conftest import Auth, csrf_token
from web.app import create_app
from web.second_factor import OPEN_BEFORE_SECOND_FACTOR
from web.url_numbers import StrictInteger

ENROL = "/anmeldung/einrichten"
CODE = "/anmeldung/code"


@pytest.fixture
def app(app, deployed, tmp_path):  # the staff are added by the web conftest's app
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": tmp_path,
            "LOTSE_CONTEXT": deployed,
            "LOTSE_INBOX_COUNT_SECONDS": 0,
            "LOTSE_SECOND_FACTOR": True,
            "LOTSE_CODE_RATE_LIMIT": "100/minute",
        }
    )


def _secret(page: str) -> str:
    found = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', page)
    assert found, "no secret on the enrolment page"
    return found.group(1).replace(" ", "")


def _post_code(client, path: str, code: str):
    token = csrf_token(client.get(path).get_data(as_text=True))
    return client.post(path, data={"code": code, "csrf_token": token})


def _enrol(client, auth, clock, username: str = "anna") -> tuple[str, list[str]]:
    """Sign in with the password, enrol with a code from the shown secret; the secret and recovery codes."""
    response = auth.login(username)
    assert response.status_code == 302 and CODE in response.headers["Location"]
    assert client.get("/").headers["Location"].startswith(ENROL)
    page = client.get(ENROL)
    secret = _secret(page.get_data(as_text=True))
    assert 'src="data:image/svg+xml' in page.get_data(as_text=True)  # the QR code, allowed by the CSP
    done = _post_code(client, ENROL, pyotp.TOTP(secret).at(clock.now()))
    assert done.status_code == 200
    codes = re.findall(r"<code>([0-9a-f]{5}-[0-9a-f]{5})</code>", done.get_data(as_text=True))
    return secret, codes


def _log_out(client) -> None:
    client.post("/logout", data={"csrf_token": csrf_token(client.get(CODE).get_data(as_text=True))})


def test_first_login_forces_enrolment_then_code_after_password(client, auth, clock, deployed):
    secret, codes = _enrol(client, auth, clock)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert client.get("/").status_code == 200
    assert "totp-secret" not in client.get(ENROL, follow_redirects=True).get_data(as_text=True)  # shown once
    _log_out(client)
    clock.advance(timedelta(seconds=30))
    auth.login()
    assert client.get("/").headers["Location"].startswith(CODE)
    assert _post_code(client, CODE, pyotp.TOTP(secret).at(clock.now())).status_code == 302
    assert client.get("/").status_code == 200
    with deployed.unit_of_work(writes=False) as session:
        stored = session.scalar(select(Staff.totp_secret).where(Staff.username == "anna"))
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.actor == "anna")).all()
    assert secret.encode() not in stored  # sealed by the vault
    assert "second_factor_enrolled" in actions and "second_factor_passed" in actions


def test_wrong_reused_and_expired_codes_are_refused(client, auth, clock):
    secret, _ = _enrol(client, auth, clock)
    totp = pyotp.TOTP(secret)
    used = totp.at(clock.now())
    _log_out(client)
    auth.login()
    replay = _post_code(client, CODE, used)  # the enrolment's code, same time step
    assert replay.status_code == 401 and "schon benutzt" in replay.get_data(as_text=True)
    wrong = "000000" if used != "000000" else "111111"
    assert _post_code(client, CODE, wrong).status_code == 401
    clock.advance(timedelta(minutes=2))
    expired = totp.at(clock.now() - timedelta(seconds=90))
    assert _post_code(client, CODE, expired).status_code == 401
    assert client.get("/").status_code == 302  # still not in
    assert _post_code(client, CODE, totp.at(clock.now())).status_code == 302
    assert client.get("/").status_code == 200


def test_recovery_codes_are_single_use(client, auth, clock, deployed):
    _, codes = _enrol(client, auth, clock)
    _log_out(client)
    auth.login()
    assert _post_code(client, CODE, codes[3].upper()).status_code == 302
    _log_out(client)
    auth.login()
    assert _post_code(client, CODE, codes[3]).status_code == 401
    with deployed.unit_of_work(writes=False) as session:
        hashes = session.scalars(select(RecoveryCode.code_hash)).all()
    assert len(hashes) == 10 and all(h.startswith("$argon2") for h in hashes)


def test_codes_are_rate_limited_per_person(app, deployed, tmp_path, clock):
    limited = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": tmp_path,
            "LOTSE_CONTEXT": deployed,
            "LOTSE_SECOND_FACTOR": True,
            "LOTSE_CODE_RATE_LIMIT": "3/minute",
        }
    )
    client = limited.test_client()
    secret, _ = _enrol(client, Auth(client), clock)
    _log_out(client)
    Auth(client).login()
    for _ in range(2):
        assert _post_code(client, CODE, "000001").status_code == 401
    limited_answer = _post_code(client, CODE, pyotp.TOTP(secret).at(clock.now() + timedelta(seconds=30)))
    assert limited_answer.status_code == 429 and "Retry-After" in limited_answer.headers


def _url(rule) -> str:
    values = {
        name: 1 if isinstance(rule._converters[name], StrictInteger) else "x" for name in rule.arguments
    }
    return rule.build(values, append_unknown=False)[1]


def test_a_password_only_session_reaches_nothing_but_the_second_factor(app, client, auth):
    auth.login()
    token = csrf_token(client.get(ENROL).get_data(as_text=True))
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in OPEN_BEFORE_SECOND_FACTOR:
            continue
        url = _url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            answer = client.open(url, method=method, data={"csrf_token": token})
            assert answer.status_code == 302, f"{method} {rule.rule} answered {answer.status_code}"
            assert answer.headers["Location"].startswith(ENROL), f"{method} {rule.rule}"
            checked += 1
    assert checked > 40
    assert client.get(ENROL).status_code == 200


def test_an_administrator_resets_the_second_factor(client, auth, clock, deployed):
    _enrol(client, auth, clock)
    assert open_sessions(deployed, _staff_id(deployed, "anna")) == 1
    reset_second_factor(deployed, "ada", "anna")
    assert client.get("/").headers["Location"].startswith("/login")
    with deployed.unit_of_work(writes=False) as session:
        mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == "account")).one()
        audit = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "second_factor_reset")
        ).one()
        codes = session.scalars(select(RecoveryCode.id)).all()
    assert mail.recipient == "staff:anna" and audit.startswith("anna") and codes == []
    auth.login()
    assert client.get("/").headers["Location"].startswith(ENROL)  # enrols anew


def _staff_id(ctx, username: str) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(Staff.id).where(Staff.username == username))


def test_the_second_factor_pages_speak_english_too(client, auth):
    auth.login()
    token = csrf_token(client.get(ENROL).get_data(as_text=True))
    client.post("/sprache", data={"language": "en", "next": ENROL, "csrf_token": token})
    page = client.get(ENROL).get_data(as_text=True)
    assert "Set up the second factor" in page and "Code from the app" in page
    wrong = _post_code(client, ENROL, "123")
    assert wrong.status_code == 422 and "The code is wrong or was used already." in wrong.get_data(
        as_text=True
    )


def test_a_code_in_superscript_or_other_digits_is_a_wrong_code(client, auth, clock):
    _enrol(client, auth, clock)
    _log_out(client)
    auth.login()
    for code in ("⁶⁶⁶⁶⁶⁶", "٣٣٣٣٣٣", "１２３４５６"):  # isdigit() says yes to all of them
        assert _post_code(client, CODE, code).status_code == 401, code
    assert client.get("/").headers["Location"].startswith(CODE)
