"""The referral panel on the task page over HTTP: ranked proposals with reasons at Vermittlung, consent per
recipient, the handover e-mail in the outbox, and Nachfassen settling each referral (not helped -> again)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from engine.cases.lifecycle import open_case
from engine.deadlines.timer_sweep import sweep_timers
from engine.directory.search import search_offers
from engine.referrals.recording import case_referrals
from engine.store.referral_tables import Referral
from engine.store.tables import OutboxMessage
from tests.conftest import COUNSELLOR
from tests.steps import (
    case_at_vermittlung,
    complete,
    message_content,
    open_tasks,
    stored_variables,
    task_id_for,
)
from tests.web.conftest import csrf_token

SECRET = "Nur für uns: Adresse Musterweg 1"


def _case_at_vermittlung(ctx, **eingang) -> int:
    return case_at_vermittlung(ctx, COUNSELLOR, kurzbeschreibung=SECRET, **eingang)


def _offer(ctx, key: str) -> int:
    return next(offer.id for offer in search_offers(ctx, text=key) if offer.key == key)


def _counts(ctx, case_id: int) -> tuple[int, int]:
    with ctx.unit_of_work(writes=False) as session:
        return (
            session.scalar(select(func.count()).select_from(Referral).where(Referral.case_id == case_id)),
            session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.case_id == case_id)
            ),
        )


def test_vermittlung_shows_ranked_proposals_with_reasons(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed)
    auth.login("anna")
    page = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'vermittlung')}").get_data(as_text=True)
    assert "Vorschläge aus dem Verzeichnis" in page
    order = [page.index(f'data-offer="{key}"') for key in ("justiz_by_aum", "hateaid", "respect")]
    assert order == sorted(order) and page.count('class="proposal') <= 10
    assert "Online-Vorfall: Meldestelle bzw. HateAid" in page and "im Land des Falls (BY)" in page
    hateaid = _offer(deployed, "hateaid")
    assert f'name="ref-{hateaid}-consent"' in page and 'value="handover"' in page
    assert 'data-offer="hessengegenhetze"' not in page
    client.post("/sprache", data={"csrf_token": csrf_token(page), "language": "en"})
    english = client.get(f"/aufgaben/{task_id_for(deployed, case_id, 'vermittlung')}").get_data(as_text=True)
    assert (
        "Proposals from the directory" in english
        and "Online incident: reporting office or HateAid" in english
    )
    assert "Consent to the warm handover" in english


def test_refinement_puts_the_hilfetelefon_first_for_a_woman_stalked(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed, land="NW", vorfallarten=["nachstellung"], vorfallkanal="wohnort")
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    page = client.get(f"/aufgaben/{task_id}?frau=ja").get_data(as_text=True)
    assert page.index('data-offer="hilfetelefon_frauen"') < page.index('data-offer="polizei_nw"')
    assert "gegen eine Frau" in page
    assert 'data-offer="hilfetelefon_frauen"' not in client.get(f"/aufgaben/{task_id}?frau=nein").get_data(
        as_text=True
    )


def test_handover_without_consent_is_refused_and_nothing_saved(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed)
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    hateaid = _offer(deployed, "hateaid")
    response = client.post(
        f"/aufgaben/{task_id}",
        data={"csrf_token": token, f"ref-{hateaid}": "handover", f"ref-{hateaid}-facts": ["land"]},
    )
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "ohne Einwilligung der Person keine warme Übergabe" in page
    assert 'value="handover" selected' in page  # the choice is kept
    assert _counts(deployed, case_id) == (0, 0)
    assert "vermittlung" in open_tasks(deployed, case_id)


def test_consented_handover_and_follow_up_loop(deployed, client, auth, clock):
    case_id = _case_at_vermittlung(deployed)
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    hateaid, respect = _offer(deployed, "hateaid"), _offer(deployed, "respect")
    response = client.post(
        f"/aufgaben/{task_id}",
        data={
            "csrf_token": token,
            f"ref-{hateaid}": "handover",
            f"ref-{hateaid}-consent": "true",
            f"ref-{hateaid}-facts": ["land", "vorfallarten"],
            f"ref-{respect}": "given",
            "schutzmassnahmen": ["beweissicherung"],
        },
    )
    assert response.status_code == 302
    assert _counts(deployed, case_id) == (2, 1)
    with deployed.unit_of_work(writes=False) as session:
        message = session.scalar(select(OutboxMessage).where(OutboxMessage.case_id == case_id))
    body = message_content(deployed, message).body
    assert "Bundesland: Bayern" in body and SECRET not in body
    assert stored_variables(deployed, case_id)["vermittlungsziele"] == ["hateaid", "meldestelle"]

    clock.advance(timedelta(days=30))
    sweep_timers(deployed, now=clock.now())
    auth.login("anna")  # a month later: her session has long ended
    nachfassen = task_id_for(deployed, case_id, "nachfassen")
    page = client.get(f"/aufgaben/{nachfassen}").get_data(as_text=True)
    assert "Vermittlungen nachfassen" in page and 'name="hilfe_angekommen"' not in page
    with deployed.unit_of_work(writes=False) as session:
        referral_ids = session.scalars(select(Referral.id).where(Referral.case_id == case_id)).all()
    token = csrf_token(page)
    missing = client.post(
        f"/aufgaben/{nachfassen}", data={"csrf_token": token, f"outcome-{referral_ids[0]}": "not_helped"}
    )
    assert missing.status_code == 422 and "ob der Kontakt zustande kam" in missing.get_data(as_text=True)
    done = client.post(
        f"/aufgaben/{nachfassen}",
        data={"csrf_token": token, **{f"outcome-{rid}": "not_helped" for rid in referral_ids}},
    )
    assert done.status_code == 302
    assert stored_variables(deployed, case_id)["hilfe_angekommen"] == "nein"
    again = task_id_for(deployed, case_id, "vermittlung")
    page = client.get(f"/aufgaben/{again}").get_data(as_text=True)
    assert "Bisherige Vermittlungen in diesem Fall" in page and "hat nicht geholfen" in page
    assert f'name="ref-{hateaid}"' not in page and f'name="ref-{respect}"' not in page
    assert "Online-Meldeverfahren" in page
    case_page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert case_page.count('data-referral-status="not_helped"') == 2
    assert "Bundesland, Art des Vorfalls → beratung@hateaid.org" in case_page
    assert "Warme Übergabe in den Postausgang gestellt" in case_page and "Vermittelt" in case_page


def test_a_directory_search_offers_a_service_beyond_the_proposals_and_records_it(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed)  # a case in Bayern: Hessen's Meldestelle is not proposed
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    page = client.get(f"/aufgaben/{task_id}?suche=HessenGegen").get_data(as_text=True)
    hessen = _offer(deployed, "hessengegenhetze")
    assert "Im Verzeichnis gefunden: „HessenGegen“" in page
    assert page.count('data-offer="hessengegenhetze"') == 1 and "Gilt für: HE" in page
    assert '<input type="hidden" name="panel-suche" value="HessenGegen">' in page
    response = client.post(
        f"/aufgaben/{task_id}",
        data={"csrf_token": csrf_token(page), f"ref-{hessen}": "given", "panel-suche": "HessenGegen"},
    )
    assert response.status_code == 302
    with deployed.unit_of_work(writes=False) as session:
        recorded = [(r.offer_id, r.status, r.reason) for r in case_referrals(session, case_id)]
    assert recorded == [(hessen, "given", "von Hand gewählt")]


def test_a_search_matches_what_was_typed_literally_and_says_when_nothing_is_found(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed)
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    for typed in ("%", "\\", "gibt-es-nicht"):
        page = client.get(f"/aufgaben/{task_id}", query_string={"suche": typed}).get_data(as_text=True)
        assert f"Keine weiteren Einträge zu „{typed}“" in page
        assert page.count('class="proposal') <= 10  # only the proposals, no wildcard hits
    many = client.get(f"/aufgaben/{task_id}?suche=polizei").get_data(as_text=True)
    assert "Es gibt weitere Treffer; bitte die Suche eingrenzen." in many
    assert many.count('class="proposal') <= 20


def test_a_refused_submit_keeps_the_refinement_the_search_and_every_choice(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed, land="NW", vorfallarten=["nachstellung"], vorfallkanal="wohnort")
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    page = client.get(f"/aufgaben/{task_id}?frau=ja&suche=HessenGegen").get_data(as_text=True)
    frauen, hessen = _offer(deployed, "hilfetelefon_frauen"), _offer(deployed, "hessengegenhetze")
    assert 'data-offer="hilfetelefon_frauen"' in page  # proposed only because of the refinement
    assert '<input type="hidden" name="panel-frau" value="ja">' in page
    response = client.post(
        f"/aufgaben/{task_id}",
        data={
            "csrf_token": csrf_token(page),
            f"ref-{frauen}": "given",
            f"ref-{hessen}": "handover",  # HessenGegenHetze has no warm handover agreed: refused
            "panel-frau": "ja",
            "panel-suche": "HessenGegen",
        },
    )
    again = response.get_data(as_text=True)
    assert "HessenGegenHetze: eine warme Übergabe ist mit dieser Stelle nicht vereinbart" in again
    assert response.status_code == 422
    assert 'data-offer="hilfetelefon_frauen"' in again and 'data-offer="hessengegenhetze"' in again
    frauen_block = again[again.index('data-offer="hilfetelefon_frauen"') :]
    assert 'value="given" selected' in frauen_block[: frauen_block.index("</fieldset>")]
    assert _counts(deployed, case_id) == (0, 0)


def test_the_panel_refreshes_alone_and_keeps_a_choice_the_new_proposals_leave_out(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed, land="NW", vorfallarten=["nachstellung"], vorfallkanal="wohnort")
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    page = client.get(f"/aufgaben/{task_id}?frau=ja").get_data(as_text=True)
    frauen = _offer(deployed, "hilfetelefon_frauen")
    token = csrf_token(page)
    refused = client.post(f"/aufgaben/{task_id}/vorschlaege", data={"frau": "nein"})
    assert refused.status_code == 400  # no CSRF token
    fragment = client.post(
        f"/aufgaben/{task_id}/vorschlaege",
        data={"frau": "nein", f"ref-{frauen}": "given", "panel-frau": "ja"},
        headers={"X-CSRFToken": token, "HX-Request": "true"},
    )
    html = fragment.get_data(as_text=True)
    assert fragment.status_code == 200 and "<html" not in html and html.lstrip().startswith("<section")
    assert "Weitere gewählte Stellen" in html  # no longer proposed for "nein", but chosen: kept
    kept = html[html.index('data-offer="hilfetelefon_frauen"') :]
    assert 'value="given" selected' in kept[: kept.index("</fieldset>")]
    assert '<input type="hidden" name="panel-frau" value="nein">' in html


def test_the_panel_refresh_on_a_task_completed_meanwhile_says_who_and_keeps_the_page(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed)
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    complete(deployed, COUNSELLOR, case_id, "vermittlung", {"vermittlungsziele": ["opferberatung"]})
    fragment = client.post(
        f"/aufgaben/{task_id}/vorschlaege", data={"suche": "hateaid"}, headers={"X-CSRFToken": token}
    )
    assert fragment.status_code == 200
    assert fragment.headers["HX-Retarget"] == "#referral-refine"
    assert 'id="referral-gone"' in fragment.get_data(as_text=True)


def test_the_panel_refresh_is_refused_without_access_and_on_other_steps(deployed, client, auth):
    case_id = _case_at_vermittlung(deployed)
    task_id = task_id_for(deployed, case_id, "vermittlung")
    auth.login("paul")  # Prozessverantwortung: no access to cases
    token = csrf_token(client.get("/prozesse").get_data(as_text=True))
    assert client.post(f"/aufgaben/{task_id}/vorschlaege", headers={"X-CSRFToken": token}).status_code == 403
    other = open_case(deployed, COUNSELLOR, {"kontaktkanal": "telefon"}).case_id
    auth.login("anna")
    token = csrf_token(client.get("/").get_data(as_text=True))
    eingang = task_id_for(deployed, other, "eingang")
    assert client.post(f"/aufgaben/{eingang}/vorschlaege", headers={"X-CSRFToken": token}).status_code == 404
