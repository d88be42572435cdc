"""Break-glass: a glimpse outside need to know, a request for access, the audited, e-mailed, expiring grant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from engine.cases.break_glass import ReasonMissing, break_glass, glimpse_case, list_grants, request_access
from engine.cases.case_file import read_case_file
from engine.cases.lifecycle import claim_task, open_case
from engine.kernel.errors import NotPermitted, OutsideNeedToKnow
from engine.store.access_tables import BreakGlassGrant
from engine.store.tables import AuditEvent, OutboxMessage
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR, TEAM_LEAD
from tests.steps import message_content, open_tasks


def _claimed_case(ctx) -> int:
    """A case whose only open task anna has claimed: outside ben's need to know."""
    case_id = open_case(ctx, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    claim_task(ctx, COUNSELLOR, open_tasks(ctx, case_id)["eingang"].id)
    return case_id


def _audit(ctx, action: str) -> list[AuditEvent]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def _outbox(ctx, kind: str) -> list[OutboxMessage]:
    with ctx.unit_of_work(writes=False) as session:
        return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_outside_need_to_know_sees_only_that_the_case_exists(deployed):
    case_id = _claimed_case(deployed)
    with pytest.raises(OutsideNeedToKnow):
        read_case_file(deployed, OTHER_COUNSELLOR, case_id)
    glimpse = glimpse_case(deployed, OTHER_COUNSELLOR, case_id)
    assert not glimpse.accessible
    assert glimpse.reference.endswith(f"{case_id:05d}")
    assert glimpse.status == "open"
    assert glimpse.workers == ("anna",)  # no staff row in this test: the username stands in
    assert [event.actor for event in _audit(deployed, "case_glimpsed")] == ["ben"]


@pytest.mark.parametrize("reason", ["", "   \n\t "])
def test_break_glass_without_a_reason_is_refused_and_changes_nothing(deployed, reason):
    case_id = _claimed_case(deployed)
    with pytest.raises(ReasonMissing) as refused:
        break_glass(deployed, OTHER_COUNSELLOR, case_id, reason)
    assert "Grund" in refused.value.message("de")
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalars(select(BreakGlassGrant)).all() == []
    assert _outbox(deployed, "break_glass") == []
    assert _audit(deployed, "break_glass") == []
    with pytest.raises(OutsideNeedToKnow):
        read_case_file(deployed, OTHER_COUNSELLOR, case_id)


def test_break_glass_grants_access_audits_mails_the_team_leads_and_expires(deployed, clock):
    case_id = _claimed_case(deployed)
    until = break_glass(deployed, OTHER_COUNSELLOR, case_id, "Anrufer ruft zurück, Anna ist im Urlaub")
    assert until == clock.now() + timedelta(hours=8)
    assert read_case_file(deployed, OTHER_COUNSELLOR, case_id).id == case_id

    [event] = _audit(deployed, "break_glass")
    assert (event.actor, event.case_id) == ("ben", case_id)
    assert "Urlaub" not in (event.detail or "")
    [mail] = _outbox(deployed, "break_glass")
    assert mail.recipient == "group:teamleitung"
    content = message_content(deployed, mail)
    assert "Notfallzugriff" in content.subject
    assert "Urlaub" not in content.subject + content.body  # the reason is case content: not in the mail
    with deployed.unit_of_work(writes=False) as session:
        [grant] = session.scalars(select(BreakGlassGrant)).all()
    assert b"Urlaub" not in grant.reason

    clock.advance(timedelta(hours=7, minutes=59))
    read_case_file(deployed, OTHER_COUNSELLOR, case_id)
    clock.advance(timedelta(minutes=1))
    with pytest.raises(OutsideNeedToKnow):
        read_case_file(deployed, OTHER_COUNSELLOR, case_id)


def test_the_grant_lasts_as_long_as_the_setting_says(deployed, clock, monkeypatch):
    monkeypatch.setenv("LOTSE_BREAK_GLASS_HOURS", "2")
    case_id = _claimed_case(deployed)
    assert break_glass(deployed, OTHER_COUNSELLOR, case_id, "Rückruf") == clock.now() + timedelta(hours=2)


def test_team_leads_list_the_grants_with_reason_others_may_not(deployed, clock):
    case_id = _claimed_case(deployed)
    break_glass(deployed, OTHER_COUNSELLOR, case_id, "Rückruf der Person")
    with pytest.raises(NotPermitted):
        list_grants(deployed, OTHER_COUNSELLOR)
    [entry] = list_grants(deployed, TEAM_LEAD)
    assert (entry.case_id, entry.username, entry.reason, entry.active) == (
        case_id,
        "ben",
        "Rückruf der Person",
        True,
    )
    clock.advance(timedelta(hours=9))
    assert not list_grants(deployed, TEAM_LEAD)[0].active


def test_asking_for_access_mails_the_assignee(deployed):
    case_id = _claimed_case(deployed)
    request_access(deployed, OTHER_COUNSELLOR, case_id)
    [mail] = _outbox(deployed, "access_request")
    assert mail.recipient == "staff:anna"
    assert [event.actor for event in _audit(deployed, "access_requested")] == ["ben"]
