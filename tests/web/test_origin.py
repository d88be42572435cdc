"""A state-changing request must come from Lotse's own pages: a valid CSRF token sent from another site
used to be accepted."""

from __future__ import annotations

import pytest

from tests.web.conftest import PASSWORD, csrf_token


def _switch_language(client, headers: dict[str, str]):
    token = csrf_token(client.get("/").get_data(as_text=True))
    return client.post("/sprache", data={"csrf_token": token, "language": "en"}, headers=headers)


def _language(client) -> str:
    return "en" if "Tasks" in client.get("/status").get_data(as_text=True) else "de"


@pytest.mark.parametrize(
    "headers",
    [
        {"Origin": "https://evil.example"},
        {"Origin": "http://localhost.evil.example"},
        {"Origin": "http://localhost:8080"},  # another port is another origin
        {"Origin": "https://localhost"},  # another scheme too
        {"Referer": "https://evil.example/page"},
        {"Origin": "null"},  # a sandboxed frame or a data: page
        {"Sec-Fetch-Site": "cross-site"},
        {"Sec-Fetch-Site": "same-site"},  # a sibling subdomain is not Lotse either
        {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
        {"Origin": "https://evil.example", "Sec-Fetch-Site": "same-origin"},
    ],
)
def test_a_request_from_another_site_is_refused_with_a_clear_page(client, auth, headers):
    auth.login()
    response = _switch_language(client, headers)
    page = response.get_data(as_text=True)
    assert response.status_code == 403 and "Anfrage von außerhalb abgelehnt" in page
    assert "es wurde nichts gespeichert" in page
    assert _language(client) == "de"


@pytest.mark.parametrize(
    "headers",
    [
        {},  # no browser: the CSRF token alone decides
        {"Origin": "http://localhost"},
        {"Origin": "http://LOCALHOST:80"},
        {"Referer": "http://localhost/status"},
        # what Chromium sends for Lotse's own forms under Referrer-Policy: no-referrer
        {"Origin": "null", "Sec-Fetch-Site": "same-origin"},
        {"Sec-Fetch-Site": "same-origin"},
    ],
)
def test_a_request_from_lotse_itself_goes_through(client, auth, headers):
    auth.login()
    assert _switch_language(client, headers).status_code == 302
    assert _language(client) == "en"


def test_the_public_address_counts_as_lotse_behind_a_proxy(app, client, auth):
    """Behind a TLS proxy the app may see http://localhost while the browser says https://lotse.example."""
    app.config["LOTSE_BASE_URL"] = "https://lotse.example"
    auth.login()
    assert _switch_language(client, {"Origin": "https://lotse.example"}).status_code == 302


def test_a_login_posted_from_another_site_is_refused(client):
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login",
        data={"username": "anna", "password": PASSWORD, "csrf_token": token},
        headers={"Origin": "https://evil.example"},
    )
    assert response.status_code == 403 and client.get("/status").status_code == 302


def test_the_refusal_is_in_english_for_english_users(client, auth):
    auth.login()
    assert _switch_language(client, {}).status_code == 302
    response = _switch_language(client, {"Origin": "https://evil.example"})
    assert response.status_code == 403 and "Request from outside refused" in response.get_data(as_text=True)


def test_reading_from_another_site_is_not_refused(client, auth):
    """Links from elsewhere (an e-mail, a bookmark) open pages as before."""
    auth.login()
    assert client.get("/status", headers={"Sec-Fetch-Site": "cross-site"}).status_code == 200


def test_over_https_a_form_from_lotse_goes_through_without_a_referer(client, auth):
    """Browsers send no Referer under Referrer-Policy: no-referrer; Flask-WTF's HTTPS check wanted one."""
    auth.login()
    page = client.get("/", base_url="https://localhost").get_data(as_text=True)
    response = client.post(
        "/sprache",
        data={"csrf_token": csrf_token(page), "language": "en"},
        base_url="https://localhost",
        headers={"Origin": "null", "Sec-Fetch-Site": "same-origin"},
    )
    assert response.status_code == 302
