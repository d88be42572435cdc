"""Web fixtures: an app on the test engine context, a client, and a login helper."""

from __future__ import annotations

import re

import pytest

from engine.staff import add_staff
from web.app import create_app

PASSWORD = "ein-gutes-passwort"
ROLES = {
    "anna": ("beratung",),
    "tara": ("teamleitung", "beratung"),
    "paul": ("prozessverantwortung",),
    "ada": ("administration",),
}


@pytest.fixture
def app(deployed, tmp_path):
    for username, roles in ROLES.items():
        add_staff(deployed, "test", username, username.title(), PASSWORD, list(roles))
    return create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "LOTSE_CONTEXT": deployed})


@pytest.fixture
def client(app):
    return app.test_client()


def csrf_token(page: str) -> str:
    found = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page) or re.search(
        r'name="csrf_token" value="([^"]+)"', page
    )
    assert found, "no CSRF token on the page"
    return found.group(1)


class Auth:
    def __init__(self, client) -> None:
        self.client = client

    def login(self, username: str = "anna", password: str = PASSWORD):
        token = csrf_token(self.client.get("/login").get_data(as_text=True))
        return self.client.post(
            "/login", data={"username": username, "password": password, "csrf_token": token}
        )


@pytest.fixture
def auth(client) -> Auth:
    return Auth(client)
