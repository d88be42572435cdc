"""A person sees their own sessions (device, address, last activity) and ends any of them."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.store.session_tables import StaffSession
from tests.web.conftest import PASSWORD, csrf_token

FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:128.0) Gecko/20100101 Firefox/128.0"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.5 Mobile/15E148 Safari/604.1"
)


def _login(client, agent: str, address: str, username: str = "anna"):
    environ = {"HTTP_USER_AGENT": agent, "REMOTE_ADDR": address}
    token = csrf_token(client.get("/login", environ_base=environ).get_data(as_text=True))
    return client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token},
        environ_base=environ,
    )


def test_a_person_sees_their_sessions_and_ends_one(app, deployed):
    desk, phone, ben = app.test_client(), app.test_client(), app.test_client()
    _login(desk, FIREFOX, "198.51.100.7")
    _login(phone, IPHONE, "203.0.113.5")
    _login(ben, FIREFOX, "192.0.2.1", "ben")
    page = desk.get("/konto/sitzungen").get_data(as_text=True)
    assert "Firefox 128, Windows" in page and "Mobile Safari 17, iOS" in page
    assert "203.0.113.5" in page and "diese Sitzung" in page and "192.0.2.1" not in page
    assert FIREFOX not in page
    ends = re.findall(r'action="(/konto/sitzungen/(\d+)/beenden)"', page)
    assert len(ends) == 1  # not the current one
    with deployed.unit_of_work(writes=False) as session:
        bens = session.scalar(select(StaffSession.id).where(StaffSession.address == "192.0.2.1"))
    token = csrf_token(page)
    desk.post(f"/konto/sitzungen/{bens}/beenden", data={"csrf_token": token})
    assert ben.get("/").status_code == 200  # someone else's session is not anna's to end
    desk.post(ends[0][0], data={"csrf_token": token})
    assert phone.get("/").headers["Location"].startswith("/login")
    assert desk.get("/").status_code == 200
    assert "203.0.113.5" not in desk.get("/konto/sitzungen").get_data(as_text=True)
