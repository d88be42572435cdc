"""Issue 23, item 10: the case page says in words what a case waits for, and the timeline, the shared
facts, the directory's change log and the session-expired page name things as people do — never codes."""

from __future__ import annotations

import re
from datetime import timedelta

from benchmarks.migrate import drive, shipped_models, with_extra_step
from engine.cases.lifecycle import open_case
from engine.directory.csv_exchange import load_seed
from engine.directory.search import search_offers
from engine.processes.deployment import deploy_process
from engine.processes.migration import dry_run, migrate_cases
from tests.conftest import COUNSELLOR, MONDAY_MORNING
from tests.steps import case_at_vermittlung, task_id_for
from tests.web.conftest import csrf_token


def _timeline(page: str) -> str:
    found = re.search(r'<ol class="timeline" id="timeline">(.*?)</ol>', page, re.S)
    assert found, "no timeline on the case page"
    return re.sub(r"<[^>]+>", " ", found.group(1))  # what is read, not the markup


def test_a_case_waiting_on_its_follow_up_timer_says_what_for_and_until_when(deployed, client, auth):
    case_id = drive(deployed, "warten_nachfassen", MONDAY_MORNING)
    auth.login("anna")
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    current = re.search(r'<p class="muted" id="current-step">(.*?)</p>', page, re.S)
    assert current, "no current step on the case page"
    text = current.group(1)
    assert "–" not in text.replace("Aktuell:", "")
    assert "wartet auf „Bis zum Nachfassen warten“ bis " in text
    assert re.search(r"bis \d\d\.\d\d\.20\d\d \d\d:\d\d", text)


def test_the_timeline_and_the_shared_facts_show_words_not_codes(deployed, client, auth):
    case_id = case_at_vermittlung(deployed, COUNSELLOR)
    auth.login("anna")
    task_id = task_id_for(deployed, case_id, "vermittlung")
    token = csrf_token(client.get(f"/aufgaben/{task_id}").get_data(as_text=True))
    hateaid = next(offer for offer in search_offers(deployed, text="hateaid") if offer.key == "hateaid")
    response = client.post(
        f"/aufgaben/{task_id}",
        data={
            "csrf_token": token,
            f"ref-{hateaid.id}": "handover",
            f"ref-{hateaid.id}-consent": "true",
            f"ref-{hateaid.id}-facts": ["land", "amt", "vorfallarten"],
        },
    )
    assert response.status_code == 302
    page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    timeline = _timeline(page)
    for code in ("hateaid:", "handed_over", "land amt", "vermittlung", "eingang", "risikostufe_bestaetigen"):
        assert code not in timeline, f"{code!r} in the timeline"
    assert f"{hateaid.name}: warm übergeben" in timeline
    assert f"{hateaid.name}: Bundesland, Amt / Funktion, Art des Vorfalls" in timeline
    assert "(Eingang aufnehmen)" in timeline or "(Eingang" in timeline
    assert "(Prozessversion 1)" in timeline
    assert "Bundesland, Amt / Funktion, Art des Vorfalls →" in page  # the referrals table

    client.post("/sprache", data={"csrf_token": csrf_token(page), "language": "en"})
    english = _timeline(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    assert "Land, Office, Incident types" in english and "handed_over" not in english


def test_a_migrated_case_says_so_in_words(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    bpmn, dmn = shipped_models()
    source = deploy_process(deployed, "paul", bpmn, dmn)
    target = deploy_process(deployed, "paul", with_extra_step(bpmn), dmn)
    report = dry_run(deployed, source.version_id, target.version_id)
    seen = {check.case_id: check.lock_version for check in report.movable}
    assert case_id in seen
    migrate_cases(deployed, "paul", source.version_id, target.version_id, seen)
    auth.login("anna")
    timeline = _timeline(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    assert "case_migrated" not in timeline and "Auf eine neue Prozessversion umgestellt" in timeline
    assert re.search(r"Version \d+ → Version \d+", timeline)


def test_an_empty_note_is_refused_at_the_field(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login("anna")
    token = csrf_token(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    refused = client.post(f"/faelle/{case_id}/notizen", data={"csrf_token": token, "text": "   "})
    page = refused.get_data(as_text=True)
    assert refused.status_code == 422
    assert 'aria-describedby="note-error"' in page
    assert '<p class="error" id="note-error">Die Notiz ist leer.</p>' in page


def test_directory_change_log_and_save_message_name_fields(deployed, client, auth):
    load_seed(deployed)
    auth.login("tara")
    offer = next(offer for offer in search_offers(deployed, text="hateaid") if offer.key == "hateaid")
    page = client.get(f"/verzeichnis/{offer.id}/bearbeiten").get_data(as_text=True)
    values = dict(
        re.findall(r'<input type="(?:text|email|url|date)" id="\w+" name="(\w+)" value="([^"]*)"', page)
    )
    version = re.search(r'name="version" value="(\d+)"', page).group(1)
    form = {**values, "csrf_token": csrf_token(page), "version": version, "category": offer.category}
    form["opening_hours"] = "Mo–Fr 9–17 Uhr (geändert)"
    for name in ("lands", "incident_types", "needs"):
        form[name] = re.findall(rf'name="{name}" value="(\w+)" checked', page)
    form["confidence"] = re.search(r'<option value="(\w)" selected', page).group(1)
    saved = client.post(f"/verzeichnis/{offer.id}/bearbeiten", data=form, follow_redirects=True)
    shown = saved.get_data(as_text=True)
    flashed = re.findall(r'class="flash[^"]*"[^>]*>(.*?)<', shown)
    assert any("Änderungen gespeichert: Erreichbarkeit" in text for text in flashed), flashed
    assert "opening_hours" not in shown
    assert "Erreichbarkeit:" in shown


def test_the_session_expired_page_lists_field_labels(app, client, deployed):
    app.config["WTF_CSRF_ENABLED"] = True
    typed = {"csrf_token": "old", "vorfall_beschreibung": "Neue Drohung per Post", "text": "Rückruf"}
    response = client.post("/aufgaben/abc", data=typed, headers={"Referer": "http://localhost/aufgaben/abc"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "Neue Drohung per Post" in page
    assert "<dt>Was ist neu passiert?</dt>" in page and "<dt>Notiz</dt>" in page
    assert "vorfall_beschreibung" not in page


def test_an_escalated_case_names_the_overdue_step_in_its_timeline(deployed, client, auth, clock):
    from engine.deadlines.timer_sweep import sweep_timers
    from tests.steps import open_tasks

    case_id = open_case(deployed, COUNSELLOR).case_id
    for _ in range(6):
        clock.advance(timedelta(hours=12))
        sweep_timers(deployed, now=clock.now())
        if "eskalation_eingang" in open_tasks(deployed, case_id):
            break
    auth.login("anna")
    timeline = _timeline(client.get(f"/faelle/{case_id}").get_data(as_text=True))
    assert "An Frist erinnert" in timeline and "Eskaliert" in timeline
    assert "(Eingang erfassen)" in timeline and "eingang" not in timeline
