"""Every role-restricted route refuses the other roles; English per user; session expiry on any page."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.cases.lifecycle import open_case
from tests.conftest import COUNSELLOR
from tests.web.conftest import ROLES, Auth, csrf_token


def _restricted(app):
    for rule in app.url_map.iter_rules():
        roles = getattr(app.view_functions[rule.endpoint], "required_roles", None)
        if roles:
            yield rule, roles


def test_each_role_restricted_route_refuses_the_other_roles(app, deployed):
    restricted = list(_restricted(app))
    assert {rule.endpoint for rule, _ in restricted} >= {"cases.new_case", "inbox.reassign"}
    open_case(deployed, COUNSELLOR)
    checked = 0
    for username, roles in ROLES.items():
        client = app.test_client()
        Auth(client).login(username)
        token = csrf_token(client.get("/status").get_data(as_text=True))
        for rule, allowed in restricted:
            if set(roles) & allowed:
                continue
            url = rule.build({argument: "1" for argument in rule.arguments})[1]
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                response = client.open(url, method=method, data={"csrf_token": token})
                assert response.status_code == 403, (username, rule.endpoint, method)
                assert "Kein Zugriff" in response.get_data(as_text=True)
                checked += 1
    assert checked >= 4


def test_english_per_user_setting(client, auth):
    auth.login("anna")
    page = client.get("/").get_data(as_text=True)
    assert "Meine Aufgaben" in page and 'lang="de"' in page
    response = client.post(
        "/sprache", data={"csrf_token": csrf_token(page), "language": "en", "next": "/?tab=groups"}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/?tab=groups"
    page = client.get("/").get_data(as_text=True)
    assert "My tasks" in page and 'lang="en"' in page and "Meine Aufgaben" not in page
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    auth.login("anna")
    assert "My tasks" in client.get("/").get_data(as_text=True)  # the setting is stored, not per session
    client.post(
        "/sprache", data={"csrf_token": csrf_token(page), "language": "xx", "next": "https://evil.example"}
    )
    assert "My tasks" in client.get("/").get_data(as_text=True)


def test_errors_in_english_for_english_users(deployed, client, auth):
    auth.login("paul")
    token = csrf_token(client.get("/prozesse").get_data(as_text=True))
    client.post("/sprache", data={"csrf_token": token, "language": "en"})
    response = client.get("/faelle/neu")
    assert response.status_code == 403 and "No access" in response.get_data(as_text=True)


def test_expired_session_on_a_task_page_leads_to_login(app, deployed, client, auth, clock):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    clock.advance(timedelta(minutes=31))
    response = client.get(f"/faelle/{case_id}")
    assert response.status_code == 302 and f"/login?next=/faelle/{case_id}" in response.headers["Location"]


@pytest.mark.parametrize("path", ["/", "/faelle/neu", "/status"])
def test_pages_render_for_every_role_that_may_see_them(client, auth, path):
    auth.login("tara")
    assert client.get(path).status_code == 200
