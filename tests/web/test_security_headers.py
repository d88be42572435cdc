"""Security headers on every response of every route in ``app.url_map`` (pages, files, redirects, 403, 404,
405, 500), a CSP that allows no inline script, no-store on all but static files, HSTS over TLS, and the
session cookie's Secure flag."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.store.tables import ProcessVersion
from tests.conftest import COUNSELLOR
from tests.steps import task_id_for
from tests.web.conftest import PASSWORD, ROLES, Auth, csrf_token
from web.app import create_app
from web.headers import development_server

EDITORS = {"processes.edit_bpmn", "processes.edit_dmn"}  # inline styles (never scripts), see web.headers
MODEL_FILES = {"cases.case_diagram", "processes.download"}  # nothing at all, sandboxed, see web.headers
TEMPLATES = Path(__file__).resolve().parents[2] / "web" / "templates"
INLINE = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+\s*=|\sstyle\s*=|javascript:", re.IGNORECASE)


def _directives(response) -> dict[str, str]:
    policy = response.headers.get("Content-Security-Policy", "")
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";") if part.strip())


def assert_protected(response, endpoint: str | None, where: str) -> None:
    """The headers every response carries; no-store on all but the static files."""
    csp = _directives(response)
    if endpoint in MODEL_FILES:
        assert csp == {"default-src": "'none'", "frame-ancestors": "'none'", "sandbox": ""}, where
    else:
        assert csp.get("script-src") == "'self'" and csp.get("default-src") == "'self'", where
        assert csp.get("frame-ancestors") == "'none'" and csp.get("object-src") == "'none'", where
        assert csp.get("script-src") == "'self'" and csp.get("style-src", "").startswith("'self'"), where
    assert "unsafe" not in response.headers["Content-Security-Policy"] or endpoint in EDITORS, where
    assert response.headers.get("X-Content-Type-Options") == "nosniff", where
    assert response.headers.get("Referrer-Policy") == "no-referrer", where
    assert response.headers.get("X-Frame-Options") == "DENY", where
    assert "Strict-Transport-Security" not in response.headers, where  # plain HTTP here
    if endpoint not in ("static", "favicon"):
        assert response.headers.get("Cache-Control") == "no-store", where
    if response.mimetype == "text/html":
        found = INLINE.search(response.get_data(as_text=True))
        assert found is None, (where, found and found.group(0))


def _samples(app, ctx) -> dict[str, str]:
    case_id = open_case(ctx, COUNSELLOR).case_id
    with ctx.unit_of_work(writes=False) as session:
        key, dmn = session.execute(select(ProcessVersion.key, ProcessVersion.dmn_xml)).first()
    return {
        "case_id": str(case_id),
        "task_id": task_id_for(ctx, case_id, "eingang"),
        "offence_id": "1",
        "failure_id": "1",
        "offer_id": "1",
        "key": key,
        "version": "1",
        "file_name": next(iter(json.loads(dmn))),
        "filename": "lotse.css",
        "username": "ben",
        "session_id": "999999",  # nobody's: ending it must not end the session the test runs in
        "absence_id": "999999",
        "token": "kein-gueltiger-link",
        "reference": "2026-00001",
        "route_id": "1",
        "appointment_id": "999999",
        "item_id": "1",
        "consent_id": "1",
        "form": "csv",
        "message_id": "1",
        "referral_id": "1",
        "template_id": "1",
    }


def _requests(app, samples):
    """Every rule and method with sample values, the session-ending ones last."""
    found = []
    for rule in app.url_map.iter_rules():
        url = rule.build({argument: samples[argument] for argument in rule.arguments})[1]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, url))
    return sorted(found, key=lambda request: request[0] == "auth.logout")


def test_every_route_answers_with_the_security_headers_for_every_role(app, deployed):
    samples = _samples(app, deployed)
    statuses = set()
    for who in (None, *ROLES):
        client = app.test_client()
        if who is not None:
            Auth(client).login(who)
        token = csrf_token(client.get("/login").get_data(as_text=True))
        for endpoint, method, url in _requests(app, samples):
            data = {"csrf_token": token} if method == "POST" else None
            response = client.open(url, method=method, data=data)
            assert_protected(response, endpoint, f"{who} {method} {url} -> {response.status_code}")
            statuses.add(response.status_code)
    assert {200, 302, 403, 404} <= statuses


def test_error_answers_carry_the_headers_too(app, client, auth):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    app.add_url_rule("/kaputt", "kaputt", lambda: 1 / 0)
    auth.login()
    for method, url, status in (
        ("GET", "/gibt-es-nicht", 404),
        ("GET", "/logout", 405),
        ("GET", "/kaputt", 500),
        ("POST", "/sprache", 400),  # no CSRF token
    ):
        response = client.open(url, method=method)
        assert response.status_code == status
        assert_protected(response, None, url)
    cross = client.post("/sprache", data={"language": "en"}, headers={"Origin": "https://evil.example"})
    assert cross.status_code == 403
    assert_protected(cross, None, "cross-origin")


def test_static_files_may_be_cached_but_carry_the_other_headers(client):
    response = client.get("/static/lotse.css")
    assert response.status_code == 200 and "no-store" not in response.headers.get("Cache-Control", "")
    assert_protected(response, "static", "static")


def test_hsts_only_over_tls(client):
    assert "Strict-Transport-Security" not in client.get("/login").headers
    secure = client.get("/login", base_url="https://lotse.example")
    max_age = secure.headers["Strict-Transport-Security"].partition("max-age=")[2].partition(";")[0]
    assert int(max_age) >= 365 * 24 * 3600  # a year


def test_no_template_has_inline_script_handlers_or_styles():
    """The CSP would block them: scripts and styles live in the bundle and lotse.css."""
    found = {
        str(path.relative_to(TEMPLATES)): match.group(0)
        for path in TEMPLATES.rglob("*.html")
        for match in [INLINE.search(path.read_text())]
        if match
    }
    assert found == {}


def _set_cookie(client) -> str:
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302
    return response.headers["Set-Cookie"]


@pytest.fixture
def make_app(app, deployed, tmp_path):  # app: the staff are added with it
    def make(**config):
        return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "LOTSE_CONTEXT": deployed, **config})

    return make


def test_the_session_cookie_is_secure_by_default(app):
    cookie = _set_cookie(app.test_client())
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookies_can_be_switched_off(monkeypatch, make_app):
    monkeypatch.setenv("LOTSE_SECURE_COOKIES", "false")
    assert "Secure" not in _set_cookie(make_app().test_client())


@pytest.mark.parametrize(
    ("host", "secure"),
    [("127.0.0.1", False), ("::1", False), ("localhost", False), ("0.0.0.0", True), ("lotse.example", True)],
)
def test_lotse_serve_on_loopback_is_development(make_app, host, secure):
    """`make run` serves http://127.0.0.1:5000: a browser would drop a Secure cookie there."""
    app = make_app()
    assert development_server(app, host) is not secure
    assert ("Secure" in _set_cookie(app.test_client())) is secure


def test_an_explicit_setting_wins_over_the_development_guess(monkeypatch, make_app):
    monkeypatch.setenv("LOTSE_SECURE_COOKIES", "true")
    app = make_app()
    assert development_server(app, "127.0.0.1") is False
    assert "Secure" in _set_cookie(app.test_client())
