"""The person behind a case: anonym or vertraulich, contact routes behind a blind index, the contacts log,
search, links and merge — on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from engine.cases.lifecycle import claim_task
from engine.cases.notes import add_note, case_notes
from engine.demo.seed import EINGANG
from engine.kernel.errors import OutsideNeedToKnow
from engine.person import blind_index
from engine.person.case_links import link_cases, linked_cases
from engine.person.case_search import CaseQuery, find_case, search_cases
from engine.person.contact_routes import add_route
from engine.person.contacts_log import ContactInvalid, NewContact, log_contact
from engine.person.intake import IntakeRoutes, known_cases, open_case_for_person
from engine.person.merge import MergeRefused, merge_case
from engine.person.panel import read_person_panel
from engine.person.privacy import AnonymousCase, Particulars, change_mode, save_person
from engine.store.person_tables import CaseContact, CaseMerge, ContactRoute
from engine.store.tables import AuditEvent, Case, CaseNote, Task
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR, TEAM_LEAD
from tests.database_dump import database_bytes, found_in
from tests.steps import complete, open_tasks

PHONE = "0171 1234567"
EMAIL = "Ina.Muster-Qz7@Example.org"
CODE_WORD = "Leuchtturm Qz7"
SUMMARY = "Rückruf vereinbart wegen Qz7-Drohbrief"
NAME = "Ina Musterfrau-Qz7"


def _confidential(ctx, actor=COUNSELLOR, phone=PHONE, email="") -> int:
    return open_case_for_person(
        ctx, actor, {"kontaktkanal": "telefon"}, "vertraulich", IntakeRoutes(phone=phone, email=email)
    ).case_id


def _anonymous(ctx, actor=COUNSELLOR) -> int:
    return open_case_for_person(ctx, actor, {"kontaktkanal": "telefon"}, "anonym", IntakeRoutes()).case_id


def _claim_all(ctx, case_id) -> None:
    """Anna claims the case's open tasks: a colleague is then outside its need to know."""
    for task in open_tasks(ctx, case_id).values():
        claim_task(ctx, COUNSELLOR, task.id)


def _count(ctx, table) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(table))


def test_an_anonymous_case_never_stores_a_contact_route(deployed):
    case_id = _anonymous(deployed)
    with pytest.raises(AnonymousCase):
        add_route(deployed, COUNSELLOR, case_id, "telefon", PHONE)
    with pytest.raises(AnonymousCase):
        save_person(deployed, COUNSELLOR, case_id, "selbst", None, Particulars(name=NAME))
    with pytest.raises(AnonymousCase):
        open_case_for_person(
            deployed, COUNSELLOR, {"kontaktkanal": "telefon"}, "anonym", IntakeRoutes(phone=PHONE)
        )
    assert _count(deployed, ContactRoute) == 0
    assert _count(deployed, Case) == 1, "the refused intake opened no case"
    panel = read_person_panel(deployed, COUNSELLOR, case_id)
    assert panel.person.anonymous and panel.person.particulars is None and panel.routes == ()
    # roles need no name and are allowed in an anonymous case
    save_person(deployed, COUNSELLOR, case_id, "angehoerige", "amtstraeger", None)
    person = read_person_panel(deployed, COUNSELLOR, case_id).person
    assert (person.seeker_role, person.affected_role) == ("angehoerige", "amtstraeger")


@pytest.mark.parametrize("written", ["0171 1234567", "+49 171 1234567", "01711234567"])
def test_the_blind_index_finds_a_number_however_it_is_written(deployed, written):
    case_id = _confidential(deployed, phone="+49 (0)171 / 123 45 67" if written == "01711234567" else written)
    other = _confidential(deployed, phone="0228 123456")
    for query in ("0171 1234567", "+49 171 1234567", "01711234567"):
        found = search_cases(deployed, COUNSELLOR, CaseQuery(text=query))
        assert found.kind == "telefon" and [hit.id for hit in found.hits] == [case_id], query
    assert [known.case_id for known in known_cases(deployed, COUNSELLOR, IntakeRoutes(phone=written))] == [
        case_id
    ]
    assert other != case_id


def test_the_index_key_is_a_key_of_its_own_and_values_are_never_stored_in_clear(deployed, database_url):
    case_id = _confidential(deployed, email=EMAIL)
    add_route(deployed, COUNSELLOR, case_id, "codewort", CODE_WORD)
    save_person(
        deployed,
        COUNSELLOR,
        case_id,
        "selbst",
        "amtstraeger",
        Particulars(name=NAME, preferred_times="Di vormittags Qz7"),
    )
    log_contact(
        deployed, COUNSELLOR, case_id, NewContact("anruf", "eingehend", duration_minutes=12, summary=SUMMARY)
    )
    found = search_cases(deployed, COUNSELLOR, CaseQuery(text="  ina.muster-qz7@EXAMPLE.org "))
    assert [hit.id for hit in found.hits] == [case_id]
    assert [
        hit.id for hit in search_cases(deployed, COUNSELLOR, CaseQuery(text="leuchtturm   QZ7")).hits
    ] == [case_id]
    with deployed.unit_of_work(writes=False) as session:
        digests = set(session.scalars(select(ContactRoute.digest)))
    expected = blind_index.digest(deployed.index_key, "telefon", "+491711234567")
    assert expected in digests and deployed.index_key != b"k" * 32
    deployed.db.dispose()
    dump = database_bytes(database_url)
    needles = [
        PHONE,
        "1711234567",
        "1234567",
        EMAIL,
        EMAIL.lower(),
        "muster-qz7",
        CODE_WORD,
        "leuchtturm",
        SUMMARY,
        "Drohbrief",
        NAME,
        "vormittags Qz7",
    ]
    assert found_in(dump, needles) == []


def test_contacts_are_logged_without_a_new_incident_and_bad_input_changes_nothing(deployed, clock):
    case_id = _anonymous(deployed)
    tasks_before = set(open_tasks(deployed, case_id))
    earlier = clock.now() - timedelta(hours=2)
    log_contact(
        deployed,
        COUNSELLOR,
        case_id,
        NewContact("email", "ausgehend", at=earlier, summary="Material geschickt"),
    )
    log_contact(deployed, COUNSELLOR, case_id, NewContact("anruf", "eingehend", duration_minutes=5))
    for bad in (
        NewContact("fax", "eingehend"),
        NewContact("anruf", "quer"),
        NewContact("anruf", "eingehend", duration_minutes=-1),
        NewContact("anruf", "eingehend", at=clock.now() + timedelta(days=1)),
    ):
        with pytest.raises(ContactInvalid):
            log_contact(deployed, COUNSELLOR, case_id, bad)
    contacts = read_person_panel(deployed, COUNSELLOR, case_id).contacts
    assert [(c.channel, c.direction, c.summary) for c in contacts] == [
        ("anruf", "eingehend", ""),
        ("email", "ausgehend", "Material geschickt"),
    ]
    assert set(open_tasks(deployed, case_id)) == tasks_before
    _claim_all(deployed, case_id)
    with pytest.raises(OutsideNeedToKnow):
        log_contact(deployed, OTHER_COUNSELLOR, case_id, NewContact("anruf", "eingehend"))


def test_switching_to_anonymous_deletes_every_route_and_is_audited(deployed):
    case_id = _confidential(deployed, email=EMAIL)
    save_person(deployed, COUNSELLOR, case_id, None, None, Particulars(name=NAME))
    assert change_mode(deployed, COUNSELLOR, case_id, "anonym") == 2
    panel = read_person_panel(deployed, COUNSELLOR, case_id)
    assert panel.person.anonymous and panel.person.particulars is None and _count(deployed, ContactRoute) == 0
    assert search_cases(deployed, COUNSELLOR, CaseQuery(text=PHONE)).hits == ()
    with deployed.unit_of_work(writes=False) as session:
        details = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.action == "privacy_changed")
        ).all()
    assert details == ["vertraulich→anonym"]


def _through_eingang(ctx, case_id, land, amt="ehrenamt_bm"):
    complete(ctx, COUNSELLOR, case_id, "eingang", {**EINGANG, "land": land, "amt": amt})


def test_references_ids_and_filters_find_cases_and_outsiders_see_only_a_stub(deployed, clock):
    first = _anonymous(deployed)
    _through_eingang(deployed, first, "BY")
    clock.advance(timedelta(days=3))
    second = _confidential(deployed)
    _through_eingang(deployed, second, "NW", "landraetin")
    reference = search_cases(deployed, COUNSELLOR, CaseQuery(text=str(second))).hits[0].reference
    assert find_case(deployed, reference) == second and find_case(deployed, str(first)) == first
    assert find_case(deployed, reference.split("-")[0] + "-" + str(second)) == second  # 2026-2 for 2026-00002
    assert find_case(deployed, "2026-99999") is None
    by = lambda **filters: [hit.id for hit in search_cases(deployed, COUNSELLOR, CaseQuery(**filters)).hits]  # noqa: E731
    assert by(land="BY") == [first] and by(land="NW") == [second] and by() == [second, first]
    assert by(office_type="landraetin") == [second] and by(status="closed") == []
    today = clock.now().date()
    assert by(opened_from=today) == [second] and by(opened_to=today - timedelta(days=1)) == [first]
    assert by(opened_from=date(2030, 1, 1)) == []
    assert by(text=PHONE, land="BY") == [] and by(text=PHONE, land="NW") == [second]
    _claim_all(deployed, second)
    stub = search_cases(deployed, OTHER_COUNSELLOR, CaseQuery(text=reference)).hits[0]
    assert not stub.visible and stub.reference == reference and stub.status == "open"
    assert stub.risk_level is None and stub.land is None and stub.opened_at is None
    assert stub.workers, "who works on it is shown"
    assert search_cases(deployed, COUNSELLOR, CaseQuery(text=reference)).hits[0].land == "NW"
    assert search_cases(deployed, TEAM_LEAD, CaseQuery(text=reference)).hits[0].visible


def test_merge_moves_everything_and_is_idempotent(deployed):
    target = _confidential(deployed, phone="0228 123456")
    duplicate = _confidential(deployed, email=EMAIL)
    third = _anonymous(deployed)
    save_person(deployed, COUNSELLOR, duplicate, "selbst", None, Particulars(name=NAME))
    log_contact(deployed, COUNSELLOR, duplicate, NewContact("anruf", "eingehend", summary=SUMMARY))
    add_note(deployed, COUNSELLOR, duplicate, "Notiz im Duplikat")
    link_cases(deployed, COUNSELLOR, duplicate, str(third), "vorfallserie")
    with pytest.raises(MergeRefused):
        merge_case(deployed, COUNSELLOR, duplicate, str(third))  # anonymous target, confidential duplicate
    target_reference = search_cases(deployed, COUNSELLOR, CaseQuery(text=str(target))).hits[0].reference
    done = merge_case(deployed, COUNSELLOR, duplicate, target_reference)
    again = merge_case(deployed, COUNSELLOR, duplicate, target_reference)
    assert (done.target_id, done.already, again.target_id, again.already) == (target, False, target, True)
    panel = read_person_panel(deployed, COUNSELLOR, target)
    assert {route.value for route in panel.routes} == {"+49228123456", "+491711234567", EMAIL.lower()}
    assert [contact.summary for contact in panel.contacts] == [SUMMARY]
    assert panel.person.particulars.name == NAME
    assert [linked.case_id for linked in panel.links] == [third]
    assert panel.merged[0].history, "the duplicate's history is shown on the target"
    with deployed.unit_of_work(writes=False) as session:
        assert [note.text for note in case_notes(deployed, session, target)] == ["Notiz im Duplikat"]
        assert (
            session.scalar(select(func.count()).select_from(CaseNote).where(CaseNote.case_id == duplicate))
            == 0
        )
        assert session.scalar(select(Case.status).where(Case.id == duplicate)) == "merged"
        assert (
            session.scalar(
                select(func.count()).select_from(Task).where(Task.case_id == duplicate, Task.status == "open")
            )
            == 0
        )
        actions = session.execute(
            select(AuditEvent.case_id, AuditEvent.action).where(AuditEvent.action.like("case_merged%"))
        ).all()
        assert sorted(actions) == sorted([(duplicate, "case_merged"), (target, "case_merged_in")])
        assert linked_cases(session, duplicate) == []
    assert search_cases(deployed, COUNSELLOR, CaseQuery(text=EMAIL)).hits[0].id == target
    assert duplicate not in [hit.id for hit in search_cases(deployed, COUNSELLOR, CaseQuery()).hits]
    assert find_case(deployed, str(duplicate)) == duplicate  # the reference stays, as a pointer


def test_a_double_submitted_merge_in_two_threads_merges_once(deployed):
    target = _confidential(deployed, phone="0228 123456")
    duplicate = _confidential(deployed)
    log_contact(deployed, COUNSELLOR, duplicate, NewContact("anruf", "eingehend", summary=SUMMARY))
    results, errors = [], []
    barrier = threading.Barrier(2)

    def submit() -> None:
        barrier.wait()
        try:
            results.append(merge_case(deployed, COUNSELLOR, duplicate, str(target)))
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == [] and sorted(result.already for result in results) == [False, True]
    assert _count(deployed, CaseMerge) == 1 and _count(deployed, CaseContact) == 1
    with deployed.unit_of_work(writes=False) as session:
        assert (
            session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case_merged")
            )
            == 1
        )
