"""Sessions are kept on the server: a cookie saved before logout, deactivation or a password change opens
nothing afterwards, and the database keeps only a digest of the cookie's token."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.staff.accounts import change_password, deactivate_staff
from engine.staff.sessions import open_sessions
from engine.store.session_tables import StaffSession
from engine.store.tables import AuditEvent, Staff
from tests.conftest import COUNSELLOR
from tests.web.conftest import Auth, csrf_token


def _cookie(client) -> str:
    return client.get_cookie("session").value


def _browser_with(app, cookie: str):
    """Another browser that replays a saved session cookie."""
    other = app.test_client()
    other.set_cookie("session", cookie)
    return other


def _case_page(client, case_id: int):
    return client.get(f"/faelle/{case_id}")


@pytest.fixture
def case_id(deployed) -> int:
    return open_case(deployed, COUNSELLOR).case_id


def _staff_id(ctx, username: str) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(Staff.id).where(Staff.username == username))


def test_a_cookie_saved_before_logout_opens_no_case_afterwards(app, client, auth, case_id):
    auth.login()
    assert _case_page(client, case_id).status_code == 200
    saved = _cookie(client)
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    replayed = _case_page(_browser_with(app, saved), case_id)
    assert replayed.status_code == 302 and "/login" in replayed.headers["Location"]


def test_logout_ends_every_session_of_that_person(app, client, auth, case_id, deployed):
    auth.login()
    laptop = app.test_client()
    Auth(laptop).login("anna")
    colleague = app.test_client()
    Auth(colleague).login("ben")
    assert _case_page(laptop, case_id).status_code == 200
    assert open_sessions(deployed, _staff_id(deployed, "anna")) == 2
    client.post("/logout", data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))})
    ended = _case_page(laptop, case_id)
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]
    assert "Ihre Sitzung wurde beendet" in laptop.get(ended.headers["Location"]).get_data(as_text=True)
    assert colleague.get("/status").status_code == 200  # ben's session is his own
    with deployed.unit_of_work(writes=False) as session:
        reasons = session.scalars(
            select(StaffSession.end_reason).where(StaffSession.staff_id == _staff_id(deployed, "anna"))
        ).all()
        logged_out = session.scalars(select(AuditEvent.detail).where(AuditEvent.action == "logged_out")).all()
    assert reasons == ["logout", "logout"] and logged_out == ["2 sessions"]


def test_deactivation_ends_the_sessions_at_once(app, client, auth, case_id, deployed):
    auth.login()
    saved = _cookie(client)
    deactivate_staff(deployed, "ada", "anna")
    assert _case_page(_browser_with(app, saved), case_id).status_code == 302
    assert _case_page(client, case_id).status_code == 302
    assert auth.login().status_code == 401  # and no new one


def test_a_password_change_ends_the_sessions_and_the_new_password_works(app, client, auth, case_id, deployed):
    auth.login()
    saved = _cookie(client)
    change_password(deployed, "anna", "anna", "ein-ganz-neues-passwort")
    assert _case_page(_browser_with(app, saved), case_id).status_code == 302
    assert auth.login().status_code == 401
    assert auth.login(password="ein-ganz-neues-passwort").status_code == 302
    assert _case_page(client, case_id).status_code == 200


def test_the_database_keeps_only_a_digest_of_the_token(client, auth, deployed):
    auth.login()
    with client.application.test_request_context():
        token = client.application.session_interface.get_signing_serializer(client.application).loads(
            _cookie(client)
        )["_user_id"]
    with deployed.unit_of_work(writes=False) as session:
        stored = session.scalars(select(StaffSession.token_hash)).all()
    assert stored == [hashlib.sha256(token.encode()).hexdigest()] and len(token) >= 40


def test_a_cookie_from_before_server_side_sessions_signs_nobody_in(app, client, auth, deployed):
    """Until migration 0012 the cookie named the staff id; such a cookie is now just a dead session."""
    with client.session_transaction() as session:
        session["_user_id"] = str(_staff_id(deployed, "anna"))
        session["_fresh"] = True
    response = client.get("/status")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "nicht mehr gültig" in client.get(response.headers["Location"]).get_data(as_text=True)
