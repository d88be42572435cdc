"""An administrator invites a counsellor in a real browser; the counsellor opens the invitation link (read
from the outbox), sets a password, enrols TOTP (codes computed from the shown secret) and signs in with
password and code. The second factor is on, as in production."""

from __future__ import annotations

import os
import re
import time

import pytest

try:
    import pyotp
    from playwright.sync_api import Page, expect
except ImportError:  # the browser fixture says how to install it; here only collection must not break
    if os.environ.get("CI"):
        pytest.fail("the Python package playwright is not installed (pip install -e '.[dev]')", pytrace=False)
    pytest.skip("the Python package playwright is not installed", allow_module_level=True)

from tests.e2e.conftest import TIMEOUT_MS, LiveServer
from tests.e2e.test_counsellor_flow import assert_no_outside_traffic_or_script_errors
from tests.web.account_mail import account_mails, link_path

pytestmark = pytest.mark.e2e
expect.set_options(timeout=TIMEOUT_MS)
LIVE_SERVER_CONFIG = {"LOTSE_SECOND_FACTOR": True}
PASSWORD = "Kranich-Leuchtfeuer-Dünen-7"


def _password_step(page: Page, username: str, password: str) -> None:
    page.goto("/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.get_by_role("button", name="Anmelden").click()


def _enrol(page: Page) -> pyotp.TOTP:
    """On the enrolment page: read the shown secret, confirm with the current code, see the recovery codes."""
    expect(page.get_by_role("heading", name="Zweiten Faktor einrichten")).to_be_visible()
    expect(page.get_by_role("img", name="QR-Code zum Einrichten der Authenticator-App")).to_be_visible()
    totp = pyotp.TOTP(page.locator("#totp-secret").inner_text().replace(" ", ""))
    page.get_by_label("Code aus der App").fill(totp.now())
    page.get_by_role("button", name="Einrichten").click()
    expect(page.get_by_role("heading", name="Wiederherstellungscodes")).to_be_visible()
    assert len(page.locator(".recovery-codes li").all()) == 10
    page.get_by_role("link", name="Weiter zu Lotse").click()
    return totp


def test_an_invited_counsellor_sets_a_password_enrols_and_signs_in(
    new_context, live_server: LiveServer
) -> None:
    admin_context, admin_watch = new_context()
    admin = admin_context.new_page()
    _password_step(admin, "ada", live_server.password)
    _enrol(admin)
    admin.get_by_role("navigation").get_by_role("link", name="Mitarbeitende").click()
    admin.get_by_label("Name", exact=True).fill("Clara Berger")
    admin.get_by_label("Benutzername").fill("clara")
    admin.get_by_label("E-Mail-Adresse").fill("clara@example.org")
    admin.get_by_label("Beratung").check()
    admin.get_by_role("button", name="Einladen").click()
    expect(admin.locator("p.flash.success")).to_contain_text("Clara Berger ist eingeladen")
    expect(admin.locator("#staff")).to_contain_text("nicht eingerichtet")

    (mail,) = account_mails(live_server.ctx, "staff:clara")
    clara_context, clara_watch = new_context()
    clara = clara_context.new_page()
    clara.goto(link_path(mail))
    expect(clara.get_by_role("heading", name="Willkommen bei Lotse, Clara Berger")).to_be_visible()
    clara.get_by_label("Neues Passwort", exact=True).fill("passwort12345")
    clara.get_by_label("Neues Passwort wiederholen").fill("passwort12345")
    clara.get_by_role("button", name="Passwort setzen").click()
    expect(clara.locator("#password-error")).to_contain_text("zu leicht zu erraten")
    clara.get_by_label("Neues Passwort", exact=True).fill(PASSWORD)
    clara.get_by_label("Neues Passwort wiederholen").fill(PASSWORD)
    clara.get_by_role("button", name="Passwort setzen").click()
    expect(clara).to_have_url(f"{live_server.url}/login")

    _password_step(clara, "clara", PASSWORD)
    totp = _enrol(clara)
    expect(clara).to_have_url(f"{live_server.url}/")
    clara.get_by_role("button", name="Abmelden").click()

    _password_step(clara, "clara", PASSWORD)
    expect(clara).to_have_url(re.compile(r"/anmeldung/code"))
    clara.goto("/")  # the inbox is out of reach until the code is given
    expect(clara).to_have_url(re.compile(r"/anmeldung/code"))
    clara.get_by_label("Code oder Wiederherstellungscode").fill(totp.at(time.time() + totp.interval))
    clara.get_by_role("button", name="Bestätigen").click()
    expect(clara).to_have_url(f"{live_server.url}/")
    expect(clara.locator("header .who")).to_contain_text("Clara Berger")
    assert_no_outside_traffic_or_script_errors(admin_watch, clara_watch)
