"""Web fixtures: an app on the test engine context, a client, and a login helper."""

from __future__ import annotations

import re

import pytest

from engine.staff.accounts import add_staff
from web.app import create_app

PASSWORD = "ein-gutes-passwort"
ROLES = {
    "anna": ("beratung",),
    "ben": ("beratung",),
    "tara": ("teamleitung", "beratung"),
    "paul": ("prozessverantwortung",),
    "ada": ("administration",),
}


@pytest.fixture
def app(deployed, tmp_path):
    for username, roles in ROLES.items():
        add_staff(deployed, "test", username, username.title(), PASSWORD, list(roles))
    return create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": tmp_path,
            "LOTSE_CONTEXT": deployed,
            "LOTSE_INBOX_COUNT_SECONDS": 0,
        }
    )


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


def form_data(values: dict) -> dict:
    """Typed values as a browser would send them: booleans as true/absent, lists as repeated fields."""
    data = {}
    for key, value in values.items():
        if value is True:
            data[key] = "true"
        elif value is False or value is None:
            continue
        elif isinstance(value, int):
            data[key] = str(value)
        else:
            data[key] = value
    return data


def submit_task(client, task_id: str, values: dict, token: str | None = None):
    if token is None:
        token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    return client.post(f"/aufgaben/{task_id}", data={**form_data(values), "csrf_token": token})


@pytest.fixture
def second_client(app):
    """Another browser: a second person signed in independently."""
    other = app.test_client()
    Auth(other).login("ben")
    return other


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Real argon2, with the cheapest parameters: production cost is for attackers, not for the suite."""
    from argon2 import PasswordHasher

    from engine.staff import accounts as staff

    original = staff._hasher
    staff._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    staff._hasher = original
