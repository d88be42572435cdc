"""New anonymous cases, the case page with its history, notes encrypted at rest, need to know, audit."""

from __future__ import annotations

from sqlalchemy import select

from engine.cases.lifecycle import claim_task, open_case
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from engine.store.tables import AuditEvent, Case, CaseNote
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR
from tests.steps import complete, open_tasks, task_id_for
from tests.web.conftest import csrf_token


def _audit(ctx, action: str, case_id: int) -> list[AuditEvent]:
    with ctx.unit_of_work(writes=False) as session:
        return session.scalars(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.case_id == case_id)
        ).all()


def test_new_case_from_a_phone_call_is_anonymous_and_starts_with_eingang(deployed, client, auth):
    auth.login()
    page = client.get("/faelle/neu").get_data(as_text=True)
    assert "Ein Name ist nicht nötig" in page and 'name="name"' not in page
    response = client.post("/faelle/neu", data={"csrf_token": csrf_token(page), "kontaktkanal": "telefon"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/aufgaben/")
    with deployed.unit_of_work(writes=False) as session:
        case = session.scalars(select(Case)).one()
    eingang = open_tasks(deployed, case.id)["eingang"]
    assert eingang.assignee == "anna"  # the person on the phone does the intake
    task_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert f"Fall {case.reference} angelegt – anonym, ohne Namen." in task_page
    assert (
        '<input type="hidden" name="kontaktkanal" value="telefon">' in task_page
    )  # carried, not asked again


def test_new_case_by_e_mail_and_refused_channel(deployed, client, auth):
    auth.login()
    token = csrf_token(client.get("/faelle/neu").get_data(as_text=True))
    refused = client.post("/faelle/neu", data={"csrf_token": token, "kontaktkanal": "brieftaube"})
    assert refused.status_code == 422 and "Bitte wählen Sie" in refused.get_data(as_text=True)
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(select(Case.id)) is None  # nothing created
    assert client.post("/faelle/neu", data={"csrf_token": token, "kontaktkanal": "email"}).status_code == 302


def test_case_page_shows_history_assessment_tasks_and_timeline(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(
        deployed, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["MITTEL"]}
    )
    complete(
        deployed,
        COUNSELLOR,
        case_id,
        "risikostufe_bestaetigen",
        {"risikostufe": "HOCH", "abweichung_begruendung": "Angst sehr groß, Familie betroffen"},
    )
    auth.login()
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert '<span class="risk hoch" id="risk-level">HOCH</span>' in page
    assessment = page[page.index('data-assessment="1"') :]
    assessment = assessment[: assessment.index("</section>")]
    assert (
        "Vorschlag der Entscheidungstabelle: MITTEL" in assessment and "abweichend festgelegt" in assessment
    )
    assert "Angst sehr groß, Familie betroffen" in assessment
    assert "Drohung gegen Leib oder Leben" in assessment and "Ja" in assessment  # the inputs
    assert "Vermitteln (Lotsenfunktion)" in page  # open task
    assert 'data-done-task="eingang"' in page and "Anna" in page  # completed, with who
    assert 'data-bpmn-url="/faelle/' in page and 'data-active="' in page and "vermittlung" in page
    assert 'data-action="case_opened"' in page and 'data-action="task_completed"' in page
    diagram = client.get(f"/faelle/{case_id}/prozess.bpmn")
    assert diagram.status_code == 200 and b'id="vermittlung"' in diagram.data


def test_every_view_is_audited(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    client.get(f"/faelle/{case_id}")
    client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'eingang')}")
    views = _audit(deployed, "case_viewed", case_id)
    assert [event.actor for event in views] == ["anna", "anna"]


def test_the_page_counts_its_views_and_keeps_them_out_of_the_history(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    for _ in range(3):
        client.get(f"/faelle/{case_id}")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Dieser Fall wurde 4-mal aufgerufen (protokolliert)." in page  # this view included
    assert 'data-action="case_viewed"' not in page and 'data-action="case_opened"' in page


def test_the_diagram_is_compressed_for_a_browser_that_accepts_it(deployed, client, auth):
    import gzip

    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    plain = client.get(f"/faelle/{case_id}/prozess.bpmn")
    packed = client.get(f"/faelle/{case_id}/prozess.bpmn", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert "Content-Encoding" not in plain.headers and b'id="vermittlung"' in plain.data
    assert packed.headers["Content-Encoding"] == "gzip" and "Accept-Encoding" in packed.headers["Vary"]
    assert gzip.decompress(packed.data) == plain.data and len(packed.data) < len(plain.data) / 5
    assert packed.headers["Cache-Control"] == "no-store"  # it names the case's process: never kept


def test_notes_are_encrypted_at_rest_and_shown(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    token = csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    response = client.post(
        f"/faelle/{case_id}/notizen", data={"csrf_token": token, "text": "Rückruf vereinbart"}
    )
    assert response.status_code == 302
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Rückruf vereinbart" in page and "Notiz gespeichert." in page
    with deployed.unit_of_work(writes=False) as session:
        stored = session.scalars(select(CaseNote.body)).one()
    assert "Rückruf".encode() not in stored
    assert [event.detail for event in _audit(deployed, "note_added", case_id)] == [
        None
    ]  # no content in audit
    empty = client.post(f"/faelle/{case_id}/notizen", data={"csrf_token": token, "text": "   "})
    assert empty.status_code == 422 and "Die Notiz ist leer." in empty.get_data(as_text=True)


def test_need_to_know(deployed, client, auth, app):
    by_ben = open_case(deployed, OTHER_COUNSELLOR).case_id
    claim_task(deployed, OTHER_COUNSELLOR, task_id_for(deployed, by_ben, "eingang"))
    auth.login("anna")
    refused = client.get(f"/faelle/{by_ben}")  # claimed by ben, opened by ben
    assert refused.status_code == 403
    assert "Kein Zugriff auf diesen Fall" in refused.get_data(as_text=True)  # not "your role"
    assert "Need-to-know" in refused.get_data(as_text=True)
    assert "Notfallzugriff" in refused.get_data(as_text=True)  # and her ways in (web.access)
    assert client.get(f"/faelle/{by_ben}/prozess.bpmn").status_code == 403
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert (
        client.post(f"/faelle/{by_ben}/notizen", data={"csrf_token": token, "text": "x"}).status_code == 403
    )
    assert client.get("/faelle/99999").status_code == 404
    by_role = client.post(f"/faelle/{by_ben}/rechtliche-sperre", data={"csrf_token": token, "hold": "ja"})
    assert by_role.status_code == 403  # a team lead's action: refused for the role, not by need to know
    assert "für Ihre Rolle nicht freigegeben" in by_role.get_data(as_text=True)
    group_case = open_case(deployed, OTHER_COUNSELLOR).case_id  # unclaimed Eingang: anna is a candidate
    assert client.get(f"/faelle/{group_case}").status_code == 200
    assert _audit(deployed, "case_viewed", by_ben) == []  # refused views are not views
    lead = app.test_client()
    from tests.web.conftest import Auth

    Auth(lead).login("tara")
    assert lead.get(f"/faelle/{by_ben}").status_code == 200
    paul = app.test_client()
    Auth(paul).login("paul")
    assert paul.get(f"/faelle/{group_case}").status_code == 403


def test_overriding_the_proposed_risk_level_needs_a_reason(deployed, client, auth):
    from engine.kernel.errors import FormInvalid
    from tests.web.conftest import submit_task

    case_id = open_case(deployed, COUNSELLOR).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(
        deployed, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["HOCH"]}
    )
    task_id = task_id_for(deployed, case_id, "risikostufe_bestaetigen")
    auth.login()
    client.post(
        f"/aufgaben/{task_id}/uebernehmen",
        data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))},
    )
    refused = submit_task(client, task_id, {"risikostufe": "NIEDRIG", "abweichung_begruendung": "  "})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422, refused.status_code
    assert "Sie weichen vom Vorschlag HOCH ab" in page
    assert "risikostufe_bestaetigen" in open_tasks(deployed, case_id)  # nothing changed
    try:
        complete(deployed, COUNSELLOR, case_id, "risikostufe_bestaetigen", {"risikostufe": "MITTEL"})
    except FormInvalid as invalid:
        assert "abweichung_begruendung" in invalid.errors
    else:
        raise AssertionError("a changed level without a reason was accepted")
    complete(deployed, COUNSELLOR, case_id, "risikostufe_bestaetigen", {"risikostufe": "HOCH"})  # as proposed
    assert "risikostufe_bestaetigen" not in open_tasks(deployed, case_id)
