"""The person over HTTP: the choice at intake, contact routes refused in anonymous cases, the contacts log,
/faelle/<reference>, the search box with its need-to-know stub, the repeat contact at intake, merging."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.cases.lifecycle import claim_task
from engine.store.person_tables import CaseContact, CaseMerge, ContactRoute
from engine.store.tables import AuditEvent, Case
from tests.conftest import COUNSELLOR
from tests.steps import open_tasks
from tests.web.conftest import csrf_token

PHONE = "0171 1234567"


def _count(ctx, table) -> int:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(select(func.count()).select_from(table))


def _open(client, mode: str, **fields) -> object:
    token = csrf_token(client.get("/faelle/neu").get_data(as_text=True))
    return client.post(
        "/faelle/neu", data={"kontaktkanal": "telefon", "modus": mode, "csrf_token": token, **fields}
    )


def _newest_case(ctx) -> Case:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalars(select(Case).order_by(Case.id.desc())).first()


def test_intake_records_the_choice_and_refuses_routes_for_an_anonymous_person(deployed, client, auth):
    auth.login()
    refused = _open(client, "anonym", telefon=PHONE)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Dieser Fall ist anonym" in page
    assert f'value="{PHONE}"' in page, "nothing typed is lost"
    assert _count(deployed, Case) == 0
    bad = _open(client, "vertraulich", telefon="12")
    assert bad.status_code == 422 and "keine gültige Telefonnummer" in bad.get_data(as_text=True)
    assert 'id="telefon-error"' in bad.get_data(as_text=True) and _count(deployed, Case) == 0
    opened = _open(client, "vertraulich", telefon=PHONE)
    assert opened.status_code == 302
    case = _newest_case(deployed)
    page = client.get(f"/faelle/{case.id}").get_data(as_text=True)
    assert "vertraulich" in page and "+49 171 1234567" in page and 'id="route-form"' in page
    with deployed.unit_of_work(writes=False) as session:
        viewed = session.execute(
            select(AuditEvent.actor, AuditEvent.detail).where(
                AuditEvent.case_id == case.id, AuditEvent.action == "person_viewed"
            )
        ).all()
    assert viewed == [("anna", None)], "the view of the person's routes is audited, without content"
    task_page = client.get(f"/aufgaben/{next(iter(open_tasks(deployed, case.id).values())).id}").get_data(
        as_text=True
    )
    assert 'id="reach"' in task_page and "+49 171 1234567" in task_page, (
        "the task says how to reach the person"
    )


def test_an_anonymous_case_offers_no_identifying_fields_and_refuses_a_posted_route(deployed, client, auth):
    auth.login()
    _open(client, "anonym")
    case = _newest_case(deployed)
    page = client.get(f"/faelle/{case.id}").get_data(as_text=True)
    assert 'id="route-form"' not in page and 'name="name"' not in page and 'name="anschrift"' not in page
    token = csrf_token(page)
    routed = client.post(
        f"/faelle/{case.id}/kontaktwege", data={"art": "telefon", "wert": PHONE, "csrf_token": token}
    )
    assert routed.status_code == 403 and "Dieser Fall ist anonym" in routed.get_data(as_text=True)
    named = client.post(f"/faelle/{case.id}/person", data={"name": "Ina Muster", "csrf_token": token})
    assert named.status_code == 403
    assert _count(deployed, ContactRoute) == 0
    client.post(f"/faelle/{case.id}/person/modus", data={"modus": "vertraulich", "csrf_token": token})
    named = {"name": "Ina Muster", "nachricht": "ja", "ratsuchend": "angehoerige", "csrf_token": token}
    assert client.post(f"/faelle/{case.id}/person", data=named).status_code == 302
    page = client.get(f"/faelle/{case.id}").get_data(as_text=True)
    assert 'value="Ina Muster"' in page and 'value="angehoerige" selected' in page
    cleared = {"name": "", "anschrift": "", "zeiten": "", "andere": "", "csrf_token": token}
    client.post(f"/faelle/{case.id}/person", data=cleared)
    assert "Ina Muster" not in client.get(f"/faelle/{case.id}").get_data(as_text=True), (
        "particulars can be cleared"
    )
    added = client.post(
        f"/faelle/{case.id}/kontaktwege", data={"art": "telefon", "wert": PHONE, "csrf_token": token}
    )
    assert added.status_code == 302 and _count(deployed, ContactRoute) == 1
    unconfirmed = client.post(
        f"/faelle/{case.id}/person/modus", data={"modus": "anonym", "csrf_token": token}
    )
    assert unconfirmed.status_code == 422 and _count(deployed, ContactRoute) == 1
    client.post(
        f"/faelle/{case.id}/person/modus", data={"modus": "anonym", "bestaetigt": "1", "csrf_token": token}
    )
    assert _count(deployed, ContactRoute) == 0


def test_a_contact_is_logged_in_seconds_and_bad_input_stays_at_its_field(deployed, client, auth):
    auth.login()
    _open(client, "anonym")
    case = _newest_case(deployed)
    token = csrf_token(client.get(f"/faelle/{case.id}").get_data(as_text=True))
    form = {
        "kanal": "anruf",
        "richtung": "eingehend",
        "dauer": "zehn",
        "zusammenfassung": "Rückfrage",
        "csrf_token": token,
    }
    refused = client.post(f"/faelle/{case.id}/kontakte", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422 and 'id="dauer-error"' in page and 'value="Rückfrage"' in page
    assert _count(deployed, CaseContact) == 0
    logged = client.post(f"/faelle/{case.id}/kontakte", data={**form, "dauer": "10"})
    assert logged.status_code == 302
    page = client.get(f"/faelle/{case.id}").get_data(as_text=True)
    assert 'data-contact="anruf"' in page and "Rückfrage" in page and "10 Min." in page
    assert "Kontakt protokolliert" in page  # the timeline names the action, no internal key


def test_a_reference_opens_the_case_and_the_search_finds_it_with_a_stub_for_outsiders(
    deployed, client, auth, second_client
):
    auth.login()
    _open(client, "vertraulich", telefon=PHONE)
    case = _newest_case(deployed)
    by_reference = client.get(f"/faelle/{case.reference}")
    assert by_reference.status_code == 200 and f"Fall {case.reference}" in by_reference.get_data(as_text=True)
    assert client.get("/faelle/2026-99999").status_code == 404
    for written in ("+49 171 1234567", "01711234567", case.reference):
        page = client.get("/suche", query_string={"q": written}).get_data(as_text=True)
        assert f'data-case="{case.reference}" data-visible="ja"' in page, written
    assert "Keine Fälle gefunden" in client.get("/suche", query_string={"q": "0228 123456"}).get_data(
        as_text=True
    )
    assert client.get("/suche", query_string={"von": "kein-datum"}).status_code == 422
    for task in open_tasks(deployed, case.id).values():
        claim_task(deployed, COUNSELLOR, task.id)
    stub = second_client.get("/suche", query_string={"q": PHONE}).get_data(as_text=True)
    assert f'data-case="{case.reference}" data-visible="nein"' in stub and "Need-to-know" in stub
    assert "Anna" in stub, "who works on it is shown"
    assert second_client.get(f"/faelle/{case.reference}").status_code == 403


def test_the_header_has_a_search_box_for_every_role(deployed, client, auth):
    auth.login("paul")
    page = client.get("/suche").get_data(as_text=True)
    assert 'id="header-search"' in page and 'role="search"' in page


def test_a_known_number_at_intake_is_reported_and_the_contact_goes_to_that_case(deployed, client, auth):
    auth.login()
    _open(client, "vertraulich", telefon=PHONE)
    case = _newest_case(deployed)
    hint = client.get(
        "/faelle/neu/bekannt", query_string={"telefon": "+49 171 1234567"}, headers={"HX-Request": "true"}
    )
    page = hint.get_data(as_text=True)
    assert f'data-known-case="{case.reference}"' in page and f"/faelle/neu/zu-fall/{case.id}" in page
    assert "data-known-case" not in client.get(
        "/faelle/neu/bekannt", query_string={"telefon": "0228 123456"}
    ).get_data(as_text=True)
    token = csrf_token(client.get("/faelle/neu").get_data(as_text=True))
    added = client.post(
        f"/faelle/neu/zu-fall/{case.id}",
        data={
            "kontaktkanal": "telefon",
            "modus": "vertraulich",
            "telefon": PHONE,
            "zusammenfassung": "ruft wieder an",
            "csrf_token": token,
        },
    )
    assert added.status_code == 302 and added.headers["Location"].endswith(f"/faelle/{case.id}#kontakte")
    assert _count(deployed, Case) == 1, "no new case"
    page = client.get(f"/faelle/{case.id}").get_data(as_text=True)
    assert "ruft wieder an" in page and 'data-contact="anruf"' in page


def test_merge_asks_first_is_idempotent_and_the_old_reference_points_to_the_target(deployed, client, auth):
    auth.login()
    _open(client, "vertraulich", telefon="0228 123456")
    target = _newest_case(deployed)
    _open(client, "vertraulich", telefon=PHONE)
    duplicate = _newest_case(deployed)
    confirm = client.get(f"/faelle/{duplicate.id}/zusammenfuehren", query_string={"ziel": target.reference})
    page = confirm.get_data(as_text=True)
    assert confirm.status_code == 200 and "1 Kontaktwege" in page and _count(deployed, CaseMerge) == 0
    token = csrf_token(page)
    first = client.post(
        f"/faelle/{duplicate.id}/zusammenfuehren", data={"ziel": target.reference, "csrf_token": token}
    )
    second = client.post(
        f"/faelle/{duplicate.id}/zusammenfuehren", data={"ziel": target.reference, "csrf_token": token}
    )
    assert first.headers["Location"] == second.headers["Location"] == f"/faelle/{target.id}"
    assert _count(deployed, CaseMerge) == 1
    pointer = client.get(f"/faelle/{duplicate.reference}")
    assert pointer.status_code == 302 and pointer.headers["Location"] == f"/faelle/{target.id}"
    assert client.get(f"/faelle/{duplicate.id}").headers["Location"] == f"/faelle/{target.id}"
    page = client.get(f"/faelle/{target.id}").get_data(as_text=True)
    assert "+49 171 1234567" in page and f'data-merged="{duplicate.reference}"' in page
    refused = client.get(f"/faelle/{target.id}/zusammenfuehren", query_string={"ziel": "2026-99999"})
    assert refused.status_code == 422 and 'id="ziel-error"' in refused.get_data(as_text=True)
