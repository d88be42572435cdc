"""Migration 0023 on SQLite and PostgreSQL: Strafantrag and referral rows of an existing database are sealed
on upgrade (nothing of them stays in clear on disk) and opened again on downgrade."""

from __future__ import annotations

from datetime import UTC, date, datetime

from sqlalchemy import text

from engine.referrals.referral_content import open_referral
from engine.store import schema
from engine.store.database import make_engine
from engine.strafantrag.offence_content import open_offence
from tests.conftest import TEST_KEY
from tests.database_dump import database_bytes, found_in

NOW = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)
REASON = "Vorgeschlagen wegen Markergrund-Qv7"


def _insert_at_0021(engine) -> None:
    statements = [
        "INSERT INTO process_versions (id, key, version, name, sha256, bpmn_xml, dmn_xml, spec_json,"
        " deployed_at, deployed_by) VALUES (1, 'p', 1, 'p', 'x', '', '{}', '{}', :now, 'a')",
        "INSERT INTO cases (id, reference, process_version_id, state, serializer_version, lock_version, status,"
        " escalated, legal_hold, opened_at, updated_at, opened_by) VALUES (7, '2026-00007', 1, :blob, 's', 1,"
        " 'open', false, false, :now, :now, 'anna')",
        "INSERT INTO support_offers (id, key, name, organisation, lands, category, incident_types, needs, phone,"
        " email, web, form_url, opening_hours, languages, warm_handover, internal_only, source_url, confidence,"
        " verify, notes, version, updated_at, updated_by) VALUES (3, 'o', 'O', 'O', '', 'c', '', '', '',"
        " 'stelle@example.org', '', '', '', '', true, false, '', 'A', false, '', 1, :now, 'a')",
        "INSERT INTO referrals (case_id, offer_id, task_id, status, reason, consent, consent_facts,"
        " handover_recipient, created_at, created_by, updated_at, updated_by) VALUES (7, 3, 't', 'handed_over',"
        " :reason, true, 'land', 'stelle@example.org', :now, 'anna', :now, 'anna')",
        "INSERT INTO strafantraege (case_id, offence, learned_of_offence, learned_of_offender, land, deadline,"
        " moved_from, status, reminders_started, recorded_by, recorded_at, updated_at) VALUES (7, 'verleumdung',"
        " :learned, :offender, 'NW', :deadline, :moved, 'offen', true, 'anna', :now, :now)",
    ]
    values = {
        "now": NOW,
        "blob": b"-",
        "reason": REASON,
        "learned": date(2025, 11, 17),
        "offender": date(2025, 12, 19),
        "deadline": date(2026, 3, 19),
        "moved": date(2026, 3, 18),
    }
    with engine.begin() as connection:
        for statement in statements:
            connection.execute(text(statement), values)


def test_upgrade_seals_and_downgrade_opens_strafantrag_and_referral_rows(database_url):
    engine = make_engine(database_url)
    schema.downgrade(engine, "0021", vault=TEST_KEY)
    _insert_at_0021(engine)
    schema.upgrade(engine, vault=TEST_KEY)
    with engine.connect() as connection:
        offence = connection.execute(text("SELECT sealed FROM strafantraege")).scalar_one()
        referral = connection.execute(text("SELECT sealed FROM referrals")).scalar_one()
    content = open_offence(TEST_KEY, 7, bytes(offence))
    assert (content.offence, content.learned_of_offence, content.learned_of_offender, content.moved_from) == (
        "verleumdung",
        date(2025, 11, 17),
        date(2025, 12, 19),
        date(2026, 3, 18),
    )
    assert open_referral(TEST_KEY, 7, bytes(referral)) == (REASON, "stelle@example.org")
    engine.dispose()
    dump = database_bytes(database_url)
    assert found_in(dump, ["2026-03-19"]) == ["2026-03-19"], "the deadline stays readable"
    assert found_in(dump, [REASON, "verleumdung", "2025-11-17", "2025-12-19", "2026-03-18"]) == []

    engine = make_engine(database_url)
    schema.downgrade(engine, "0021", vault=TEST_KEY)
    with engine.connect() as connection:
        offence_row = connection.execute(
            text("SELECT offence, learned_of_offence, learned_of_offender, moved_from FROM strafantraege")
        ).one()
        referral_row = connection.execute(text("SELECT reason, handover_recipient FROM referrals")).one()
    assert offence_row[0] == "verleumdung" and str(offence_row[1]) == "2025-11-17"
    assert str(offence_row[2]) == "2025-12-19" and str(offence_row[3]) == "2026-03-18"
    assert tuple(referral_row) == (REASON, "stelle@example.org")
    with engine.begin() as connection:
        for table in ("strafantraege", "referrals", "support_offers", "cases", "process_versions"):
            connection.execute(text(f"DELETE FROM {table}"))
    schema.upgrade(engine, vault=TEST_KEY)
    engine.dispose()
