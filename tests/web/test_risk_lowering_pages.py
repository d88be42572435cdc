"""Four eyes for lowering a risk level, through HTTP: the administrators' setting beside the calendar, the
case page's marker with the way to the decision, the refusal to the person who lowered it."""

from __future__ import annotations

from sqlalchemy import select

from engine.cases.lifecycle import open_case
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from engine.store.tables import AuditEvent, Case
from tests.conftest import COUNSELLOR
from tests.steps import complete, open_tasks, task_id_for
from tests.web.conftest import csrf_token, submit_task

REASON = "Die Person schätzt die Lage ruhig ein."


def lowered(deployed) -> int:
    case_id = open_case(deployed, COUNSELLOR).case_id
    complete(deployed, COUNSELLOR, case_id, "eingang", EINGANG)
    complete(
        deployed, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["HOCH"]}
    )
    complete(
        deployed,
        COUNSELLOR,
        case_id,
        "risikostufe_bestaetigen",
        {"risikostufe": "NIEDRIG", "abweichung_begruendung": REASON},
    )
    return case_id


def test_the_case_page_marks_the_waiting_lowering_and_only_a_second_person_decides(deployed, client, auth):
    case_id = lowered(deployed)
    task_id = task_id_for(deployed, case_id, "herabstufung_bestaetigen")
    assert open_tasks(deployed, case_id)["herabstufung_bestaetigen"].assignee is None  # not kept for anna
    auth.login("anna")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    marker = page[page.index('id="pending-lowering"') :]
    marker = marker[: marker.index("</p>")]
    assert "Herabstufung auf NIEDRIG beantragt" in marker and "Bis dahin gelten HOCH" in marker
    assert REASON in marker and f"/aufgaben/{task_id}" in marker
    assert '<span class="risk hoch" id="risk-level">HOCH</span>' in page
    assessment = page[page.index('data-assessment="1"') :]
    assessment = assessment[: assessment.index("</section>")]
    assert '<span class="risk niedrig">NIEDRIG</span>' in assessment  # what anna assessed, with her reason
    assert "Vorschlag der Entscheidungstabelle: HOCH" in assessment and REASON in assessment
    refused = submit_task(client, task_id, {"herabstufung_entscheidung": "bestaetigt"})
    assert refused.status_code == 422
    assert "zweite Person oder die Teamleitung bestätigen" in refused.get_data(as_text=True)
    assert "herabstufung_bestaetigen" in open_tasks(deployed, case_id)

    auth.login("ben")
    inbox = client.get("/").get_data(as_text=True)
    assert "Herabstufung bestätigen" in inbox  # the colleague finds it among the group's tasks
    assert "Herabstufung auf NIEDRIG beantragt" in client.get(f"/aufgaben/{task_id}").get_data(as_text=True)
    done = submit_task(client, task_id, {"herabstufung_entscheidung": "bestaetigt"})
    assert done.status_code == 302
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert '<span class="risk niedrig" id="risk-level">NIEDRIG</span>' in page
    assert 'id="pending-lowering"' not in page


def test_administrators_keep_the_four_eyes_setting_beside_the_calendar(deployed, client, auth):
    auth.login("ada")
    page = client.get("/verwaltung/kalender").get_data(as_text=True)
    assert 'name="four_eyes_lowering" value="ja" checked' in page  # on by default
    response = client.post("/verwaltung/vier-augen", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    page = client.get("/verwaltung/kalender").get_data(as_text=True)
    assert 'name="four_eyes_lowering" value="ja" >' in page and "Vier-Augen-Einstellung gespeichert" in page
    with deployed.unit_of_work(writes=False) as session:
        assert session.scalar(
            select(AuditEvent.detail).where(AuditEvent.action == "service_settings_changed")
        )
    case_id = lowered(deployed)
    assert "herabstufung_bestaetigen" not in open_tasks(deployed, case_id)
    with deployed.unit_of_work(writes=False) as session:
        assert session.get(Case, case_id).risk_level == "NIEDRIG"
    auth.login("anna")
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert client.post("/verwaltung/vier-augen", data={"csrf_token": token}).status_code == 403
