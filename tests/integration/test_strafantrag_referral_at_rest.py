"""No Strafantrag or referral content in clear on disk (issue 19): the offences and the dates the person
learned of them, a referral's reason and its warm handover (with a marker in every free-text field on the
way) appear neither in the SQLite file nor in a pg_dump; the deadline, which the board sorts by, does."""

from __future__ import annotations

from datetime import date

from engine.cases.lifecycle import complete_task
from engine.directory.search import search_offers
from engine.referrals.consent import Choice
from engine.referrals.recording import case_referrals
from engine.referrals.steps import referral_step
from engine.strafantrag.periods import case_offences, offender_identified, record_offence
from tests import steps
from tests.conftest import COUNSELLOR
from tests.database_dump import database_bytes, found_in
from tests.steps import task_id_for

MARKER = "QXZSTRAFMARKER"
# dates of knowledge that occur nowhere else in the database
LEARNED = {
    "first_offence": date(2025, 11, 17),
    "first_offender": date(2026, 4, 9),
    "second_offence": date(2025, 10, 23),
    "second_offender": date(2026, 3, 30),
}


def _offer(ctx, key: str) -> int:
    return next(offer.id for offer in search_offers(ctx, text=key) if offer.key == key)


def test_strafantrag_and_referral_rows_keep_no_content_in_clear(deployed):
    ctx = deployed
    case_id = steps.case_at_vermittlung(
        ctx, COUNSELLOR, "MITTEL", land="BY", amt="ratsmitglied", kurzbeschreibung=f"Kurz {MARKER}"
    )
    choices = [
        Choice(
            _offer(ctx, "hateaid"),
            "handover",
            consent=True,
            facts=("land", "vorfallarten", "kontakt"),
            contact=f"Rückruf {MARKER}",
        ),
        Choice(_offer(ctx, "respect"), "given"),
    ]
    task_id = task_id_for(ctx, case_id, "vermittlung")
    complete_task(
        ctx, COUNSELLOR, task_id, {}, alongside=referral_step(choices, {}, COUNSELLOR, ctx.calendar)
    )
    first = record_offence(
        ctx, COUNSELLOR, case_id, "verleumdung", LEARNED["first_offence"], LEARNED["first_offender"]
    )
    second = record_offence(ctx, COUNSELLOR, case_id, "ueble_nachrede", LEARNED["second_offence"], None)
    offender_identified(ctx, COUNSELLOR, case_id, second, LEARNED["second_offender"])
    with ctx.unit_of_work(writes=False) as session:
        offences = {entry.id: entry for entry in case_offences(session, case_id)}
        referrals = case_referrals(session, case_id)
    assert offences[first].offence == "verleumdung"
    assert offences[second].learned_of_offender == LEARNED["second_offender"]
    assert referrals[0].handover_recipient == "beratung@hateaid.org" and len(referrals[0].reason) > 10
    deadline = offences[first].deadline.isoformat()

    ctx.db.dispose()  # SQLite: everything written is in the file and its log
    dump = database_bytes(ctx.db.url.render_as_string(hide_password=False))
    assert found_in(dump, [deadline]) == [deadline], "the dump is read (the deadline stays in clear)"
    # (the code "ueble_nachrede" is not searched: the shipped model itself names it in a form field)
    secrets = [MARKER, "verleumdung", *(day.isoformat() for day in LEARNED.values())]
    secrets += [referral.reason for referral in referrals]
    assert found_in(dump, secrets) == []
