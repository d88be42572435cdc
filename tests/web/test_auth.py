"""Access: login with argon2 hashes, delays, idle expiry and lifetime, CSRF, and no page without a login."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select

from engine.store.session_tables import StaffSession
from engine.store.tables import AuditEvent
from tests.web.conftest import PASSWORD, csrf_token
from web import page_frame

# the login, static files, and the pages a single-use e-mail link opens (invitation, password reset)
PUBLIC = {"auth.login", "static", "passwords.forgotten", "passwords.invitation", "passwords.reset", "favicon"}
# the public side of the channels: the contact page and anonymous mailbox, and the signed intake API
PUBLIC_AREAS = ("portal.", "intake_api.")


def test_login_and_logout(client, auth):
    response = auth.login()
    assert response.status_code == 302 and response.headers["Location"] == "/"
    page = client.get("/status").get_data(as_text=True)
    assert "Anna" in page and "Abmelden" in page
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    assert client.get("/status").status_code == 302


def test_wrong_password_is_refused_and_audited_without_the_typed_name(client, auth, deployed):
    response = auth.login(password="falsch-falsch-falsch")
    assert response.status_code == 401 and "Benutzername oder Passwort ist falsch" in response.get_data(
        as_text=True
    )
    with deployed.unit_of_work(writes=False) as session:
        failed = session.scalars(select(AuditEvent).where(AuditEvent.action == "login_failed")).all()
    assert len(failed) == 1 and "anna" not in (failed[0].detail or "") and failed[0].actor == "anonymous"


def test_failures_delay_the_next_attempt_but_the_owner_gets_in_after_waiting(client, auth, clock):
    """Five wrong guesses used to lock the account for 15 minutes, even for the right password."""
    for attempt in range(5):
        clock.advance(timedelta(seconds=10))  # longer than any delay so far: every guess is checked
        assert auth.login(password="falsch-falsch-falsch").status_code == 401, attempt
    response = auth.login(password=PASSWORD)  # 2, 4, 8 … seconds after the fourth, fifth … failure
    page = response.get_data(as_text=True)
    assert response.status_code == 429 and "Bitte warten Sie 4 Sekunden" in page
    assert response.headers["Retry-After"] == "4"
    clock.advance(timedelta(seconds=4))
    assert auth.login(password=PASSWORD).status_code == 302


def _seen(ctx) -> datetime:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalars(select(StaffSession.last_seen_at)).one()


def test_idle_session_expires(app, client, auth, clock):
    auth.login()
    clock.advance(timedelta(minutes=app.config["LOTSE_SESSION_MINUTES"], seconds=1))
    response = client.get("/status")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert "wegen Inaktivität abgelaufen" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/status").status_code == 302  # really logged out


def test_activity_keeps_the_session(app, client, auth, clock):
    auth.login()
    clock.advance(timedelta(minutes=app.config["LOTSE_SESSION_MINUTES"], seconds=-30))
    assert client.get("/status").status_code == 200


def test_activity_sends_no_new_cookie(client, auth, clock):
    """Activity is recorded on the server: the cookie stays as it is."""
    auth.login()
    client.get("/status")  # the first page after login stores the CSRF token in the session
    for step in (10, 120):
        clock.advance(timedelta(seconds=step))
        response = client.get("/status")
        assert response.status_code == 200 and "Set-Cookie" not in response.headers


def test_activity_is_recorded_at_most_once_a_minute(client, auth, clock, deployed):
    auth.login()
    started = _seen(deployed)
    clock.advance(timedelta(seconds=30))
    client.get("/status")
    assert _seen(deployed) == started
    clock.advance(timedelta(seconds=31))
    client.get("/status")
    assert _seen(deployed) == clock.now()


def test_idle_expiry_holds_with_a_moving_clock(app, client, auth, clock):
    """Requests every 50 seconds keep the session; silence for the idle time ends it."""
    auth.login()
    for _ in range(60):  # 50 minutes of activity, longer than the idle limit
        clock.advance(timedelta(seconds=50))
        assert client.get("/status").status_code == 200
    idle = timedelta(minutes=app.config["LOTSE_SESSION_MINUTES"])
    clock.advance(idle - timedelta(seconds=60))  # quiet, but not for the whole idle time
    assert client.get("/status").status_code == 200
    clock.advance(idle + timedelta(seconds=1))
    response = client.get("/status")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert client.get("/status").status_code == 302


def test_a_busy_session_ends_after_its_absolute_lifetime(app, client, auth, clock):
    """A request every 29 minutes used to keep a session alive for good (12 h were measured)."""
    auth.login()
    hours = app.config["LOTSE_SESSION_HOURS"]
    assert hours == 10
    steps = int(timedelta(hours=hours) / timedelta(minutes=29))
    for _ in range(steps):
        clock.advance(timedelta(minutes=29))
        assert client.get("/status").status_code == 200
    clock.advance(timedelta(hours=hours) - steps * timedelta(minutes=29))
    response = client.get("/status")
    assert response.status_code == 302 and "/login?next=/status" in response.headers["Location"]
    assert "Höchstdauer von 10 Stunden" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert client.get("/status").status_code == 302
    assert auth.login().status_code == 302 and client.get("/status").status_code == 200


def test_the_lifetime_is_a_setting(app, client, auth, clock):
    app.config["LOTSE_SESSION_HOURS"] = 1
    auth.login()
    clock.advance(timedelta(minutes=20))
    assert client.get("/status").status_code == 200
    clock.advance(timedelta(minutes=20))
    assert client.get("/status").status_code == 200
    clock.advance(timedelta(minutes=20))
    assert client.get("/status").status_code == 302


def test_static_files_neither_load_the_user_nor_keep_the_session(app, client, auth, clock, deployed):
    auth.login()
    started = _seen(deployed)
    clock.advance(timedelta(seconds=120))
    response = client.get("/static/lotse.css")
    assert response.status_code == 200 and "Set-Cookie" not in response.headers
    assert _seen(deployed) == started


def test_the_signed_csrf_token_is_reused_for_a_while_and_accepted(app, client, auth, monkeypatch):
    app.config["WTF_CSRF_ENABLED"] = True
    auth.login()
    signed = []
    monkeypatch.setattr(page_frame, "generate_csrf", lambda: signed.append(1) or generate_csrf())
    first = csrf_token(client.get("/status").get_data(as_text=True))
    assert csrf_token(client.get("/").get_data(as_text=True)) == first and len(signed) == 1
    response = client.post("/sprache", data={"csrf_token": first, "language": "en", "next": "/status"})
    assert response.status_code == 302
    assert "Tasks" in client.get("/status").get_data(as_text=True)


def test_post_without_csrf_token_is_refused(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    response = client.post("/login", data={"username": "anna", "password": PASSWORD})
    assert response.status_code in (400, 200) and client.get("/status").status_code == 302


def test_open_redirect_after_login_is_refused(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=https://evil.example/x",
        data={"username": "anna", "password": PASSWORD, "csrf_token": token},
    )
    assert response.headers["Location"] == "/"


def test_no_route_but_login_and_static_answers_without_login(app, client):
    checked = 0
    for rule in app.url_map.iter_rules():
        if rule.endpoint in PUBLIC or rule.endpoint.startswith(PUBLIC_AREAS):
            continue
        url = rule.build({argument: "1" for argument in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method)
            assert response.status_code in (302, 401, 400), (rule.endpoint, method, response.status_code)
            if response.status_code == 302:
                assert "/login" in response.headers["Location"], rule.endpoint
            checked += 1
    assert checked >= 3


@pytest.mark.parametrize("username", ["anna", "tara", "paul", "ada"])
def test_every_role_can_log_in(auth, username):
    assert auth.login(username).status_code == 302


def test_typing_keeps_the_session_through_a_long_call(app, client, auth, clock):
    """The task page tells the server while someone types (POST /sitzung); that is activity."""
    auth.login()
    page = client.get("/").get_data(as_text=True)
    assert 'data-keep-alive="/sitzung"' in page
    idle = timedelta(minutes=app.config["LOTSE_SESSION_MINUTES"])
    for _ in range(3):  # three times nearly the idle limit, with typing in between
        clock.advance(idle - timedelta(seconds=60))
        assert client.post("/sitzung", headers={"X-CSRFToken": csrf_token(page)}).status_code == 204
    assert client.get("/status").status_code == 200
    clock.advance(idle + timedelta(seconds=1))
    ended = client.post("/sitzung", headers={"X-CSRFToken": csrf_token(page)})
    assert ended.status_code == 302 and "/login" in ended.headers["Location"]


def test_a_form_arriving_after_the_session_ended_says_so_and_gives_back_what_was_typed(app, client):
    app.config["WTF_CSRF_ENABLED"] = True
    typed = {"csrf_token": "old", "kurzbeschreibung": "Drohbrief im Briefkasten", "land": "NW"}
    response = client.post("/aufgaben/abc", data=typed, headers={"Referer": "http://localhost/aufgaben/abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Sitzung abgelaufen" in page
    assert "Drohbrief im Briefkasten" in page and "<dt>Bundesland</dt>" in page and "old" not in page
    assert "/login?next=/aufgaben/abc" in page
    elsewhere = client.post("/aufgaben/abc", data=typed, headers={"Origin": "https://evil.example"})
    assert elsewhere.status_code == 403 and "Drohbrief" not in elsewhere.get_data(as_text=True)


def test_a_form_from_a_browser_that_sends_no_referrer_still_gets_what_was_typed_back(app, client):
    """Under Referrer-Policy: no-referrer a browser sends Origin: null and Sec-Fetch-Site: same-origin."""
    app.config["WTF_CSRF_ENABLED"] = True
    typed = {"csrf_token": "old", "kurzbeschreibung": "Drohbrief im Briefkasten"}
    response = client.post(
        "/aufgaben/abc", data=typed, headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Drohbrief im Briefkasten" in page
    assert "/login?next=/aufgaben/abc" in page
