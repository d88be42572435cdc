"""Administration of the staff in the browser: invitation by a single-use link (no administrator knows a
password), roles, deactivation that ends sessions and hands claimed tasks back, reactivation; audited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from engine.cases.lifecycle import claim_task, open_case
from engine.store.tables import AuditEvent, Staff, Task
from tests.conftest import COUNSELLOR
from tests.web.account_mail import account_mails, link_path
from tests.web.conftest import Auth, csrf_token

LIST = "/verwaltung/mitarbeitende"
STRONG = "Wolkenkratzer-Gießkanne-17"


@pytest.fixture
def admin(app):
    client = app.test_client()
    Auth(client).login("ada")
    return client


def _post(client, path: str, data: dict, page: str | None = None):
    token = csrf_token(client.get(page or path).get_data(as_text=True))
    return client.post(path, data={**data, "csrf_token": token})


def _invite(admin, username: str = "clara", roles=("beratung",)):
    return _post(
        admin,
        LIST,
        {
            "username": username,
            "display_name": "Clara Neu",
            "email": "clara@example.org",
            "roles": list(roles),
        },
    )


def _audit(ctx, action: str) -> list[str]:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalars(select(AuditEvent.detail).where(AuditEvent.action == action)).all()


def test_only_administrators_see_the_staff(client, auth, admin):
    auth.login("tara")
    assert client.get(LIST).status_code == 403
    page = admin.get(LIST).get_data(as_text=True)
    assert "Tara" in page and "<td>Teamleitung, Beratung</td>" in page and "nicht eingerichtet" in page
    assert page.count('type="checkbox" name="roles"') == 5  # every role is offered for an invitation


def test_an_invitation_sets_the_password_once(app, admin, deployed, clock):
    assert _invite(admin).status_code == 302
    assert "Clara Neu" in admin.get(LIST).get_data(as_text=True)
    (body,) = account_mails(deployed, "staff:clara")
    path = link_path(body)
    newcomer = app.test_client()
    assert Auth(newcomer).login("clara", "").status_code == 200  # no password works yet
    assert "Clara Neu" in newcomer.get(path).get_data(as_text=True)
    weak = _post(newcomer, path, {"password": "passwort1234", "repeated": "passwort1234"})
    assert weak.status_code == 422 and "zu leicht zu erraten" in weak.get_data(as_text=True)
    done = _post(newcomer, path, {"password": STRONG, "repeated": STRONG})
    assert done.status_code == 302 and done.headers["Location"] == "/login"
    assert newcomer.get(path).status_code == 410  # single use
    assert Auth(newcomer).login("clara", STRONG).status_code == 302
    assert newcomer.get("/").status_code == 200
    assert _audit(deployed, "staff_invited") == ["clara (beratung)"]


def test_an_invitation_expires_after_three_days(app, admin, deployed, clock):
    _invite(admin)
    path = link_path(account_mails(deployed, "staff:clara")[0])
    clock.advance(timedelta(days=3, seconds=1))
    answer = app.test_client().get(path)
    assert answer.status_code == 410 and "abgelaufen" in answer.get_data(as_text=True)


def test_an_invitation_without_a_role_is_refused_and_keeps_what_was_typed(admin, deployed):
    refused = _invite(admin, roles=())
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "mindestens eine" in page and 'value="clara@example.org"' in page
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(Staff.id).where(Staff.username == "clara")) is None


def test_roles_change_at_once_and_are_audited(app, admin, deployed):
    anna = app.test_client()
    Auth(anna).login("anna")
    assert anna.get("/fristen").status_code == 403
    changed = _post(admin, f"{LIST}/anna", {"roles": ["beratung", "teamleitung"]})
    assert changed.status_code == 302
    assert anna.get("/fristen").status_code == 200
    assert _audit(deployed, "roles_changed") == ["anna: beratung → beratung teamleitung"]
    assert _post(admin, f"{LIST}/anna", {}).status_code == 422  # none: refused, nothing changed


@pytest.fixture
def claimed(deployed) -> str:
    case = open_case(deployed, COUNSELLOR)
    with deployed.unit_of_work(writes=False) as session:
        task_id = session.scalar(select(Task.id).where(Task.case_id == case.case_id, Task.status == "open"))
    claim_task(deployed, COUNSELLOR, task_id)
    return task_id


def _assignee(ctx, task_id: str) -> str | None:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(Task.assignee).where(Task.id == task_id))


def test_deactivation_shows_then_hands_tasks_to_a_colleague_and_ends_sessions(app, admin, deployed, claimed):
    anna = app.test_client()
    Auth(anna).login("anna")
    shown = admin.get(f"{LIST}/anna/deaktivieren").get_data(as_text=True)
    assert "Eingang erfassen" in shown and "Ben" in shown
    assert _assignee(deployed, claimed) == "anna"  # showing changes nothing
    not_in_group = _post(admin, f"{LIST}/anna/deaktivieren", {"confirmed": "yes", "hand_to": "paul"})
    assert not_in_group.status_code == 422 and _assignee(deployed, claimed) == "anna"
    assert anna.get("/").status_code == 200
    done = _post(admin, f"{LIST}/anna/deaktivieren", {"confirmed": "yes", "hand_to": "ben"})
    assert done.status_code == 302
    assert _assignee(deployed, claimed) == "ben"
    assert anna.get("/").headers["Location"].startswith("/login")
    assert _audit(deployed, "staff_deactivated") == ["anna, 1 sessions ended, 1 tasks to ben"]
    assert _post(admin, f"{LIST}/anna/reaktivieren", {}, f"{LIST}/anna").status_code == 302
    assert Auth(anna).login("anna").status_code == 302


def test_deactivation_hands_tasks_back_to_their_group(admin, deployed, claimed):
    _post(admin, f"{LIST}/anna/deaktivieren", {"confirmed": "yes", "hand_to": ""})
    assert _assignee(deployed, claimed) is None
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(Staff.active).where(Staff.username == "anna")) is False


def test_administrators_end_all_sessions_of_a_person(app, admin, deployed):
    anna = app.test_client()
    Auth(anna).login("anna")
    assert _post(admin, f"{LIST}/anna/sitzungen", {}, f"{LIST}/anna").status_code == 302
    assert anna.get("/").headers["Location"].startswith("/login")
    assert _audit(deployed, "session_ended") == ["anna: all, 1"]


def test_administrators_reset_the_second_factor_in_the_browser(admin, deployed):
    with deployed.unit_of_work() as session:
        session.execute(
            update(Staff).where(Staff.username == "anna").values(totp_enrolled_at=deployed.clock.now())
        )
        session.commit()
    assert "Zweiten Faktor zurücksetzen" in admin.get(f"{LIST}/anna").get_data(as_text=True)
    assert _post(admin, f"{LIST}/anna/zweiter-faktor", {}, f"{LIST}/anna").status_code == 302
    assert len(account_mails(deployed, "staff:anna")) == 1
    assert "Zweiten Faktor zurücksetzen" not in admin.get(f"{LIST}/anna").get_data(as_text=True)


def test_administrators_cannot_lock_themselves_out(admin, deployed):
    own = _post(admin, f"{LIST}/ada/deaktivieren", {"confirmed": "yes"})
    assert own.status_code == 422 and "eigenes Konto" in own.get_data(as_text=True)
    dropped = _post(admin, f"{LIST}/ada", {"roles": ["beratung"]})
    assert dropped.status_code == 422 and "Rolle Administration" in dropped.get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        assert session.execute(select(Staff.active, Staff.roles).where(Staff.username == "ada")).one() == (
            True,
            "administration",
        )
