"""Every page of the demo data renders (staff exist already, so they keep the test password) for the people who may see it: no dead ends, no template errors."""

from __future__ import annotations

import re

from sqlalchemy import select

from engine.demo.seed import load_demo
from engine.store.tables import Case, Task
from tests.web.conftest import PASSWORD, Auth


def test_every_demo_case_and_task_page_renders(deployed, app):
    load_demo(deployed)
    with deployed.unit_of_work(writes=False) as session:
        case_ids = session.scalars(select(Case.id)).all()
        task_ids = session.scalars(select(Task.id).where(Task.status == "open")).all()
    assert len(case_ids) >= 10 and task_ids
    lead = app.test_client()
    assert Auth(lead).login("tara", PASSWORD).status_code == 302
    for case_id in case_ids:
        page = lead.get(f"/faelle/{case_id}")
        assert page.status_code == 200, case_id
        assert lead.get(f"/faelle/{case_id}/prozess.bpmn").status_code == 200
    for task_id in task_ids:
        assert lead.get(f"/aufgaben/{task_id}").status_code == 200, task_id
    for tab in ("mine", "groups", "overdue", "all"):
        page = lead.get(f"/?tab={tab}").get_data(as_text=True)
        for link in re.findall(r'href="(/(?:faelle|aufgaben)/[^"]+)"', page):
            assert lead.get(link).status_code == 200, link
    counsellor = app.test_client()
    Auth(counsellor).login("anna", PASSWORD)
    page = counsellor.get("/?tab=groups").get_data(as_text=True)
    for link in re.findall(r'href="(/(?:faelle|aufgaben)/[^"]+)"', page):
        assert counsellor.get(link).status_code == 200, link


def test_demo_statistics_show_eighteen_months_of_snapshots(deployed, app):
    result = load_demo(deployed)
    assert result["statistics_months"] == 18 and load_demo(deployed)["statistics_months"] == 0
    lead = app.test_client()
    Auth(lead).login("tara", PASSWORD)
    now = deployed.clock.now()  # June 2026 in the tests: December 2024 to May 2026 are snapshots
    assert now.year == 2026 and now.month == 6
    page = lead.get("/statistik?art=frei&von=2024-12-01&bis=2026-05-31").get_data(as_text=True)
    assert "Daten aus monatlichen Momentaufnahmen." in page
    trend = re.search(r'<table id="table-faelle".*?</table>', page, re.S).group(0)
    opened = [int(n) for n in re.findall(r'<th scope="row">20\d\d-\d\d</th><td>(\d+)</td>', trend)]
    assert len(opened) == 18 and min(opened) >= 5
    land = re.search(r'<table id="table-land".*?</table>', page, re.S).group(0)
    assert re.search(r'<th scope="row">NW</th><td>(\d+)</td>', land)
