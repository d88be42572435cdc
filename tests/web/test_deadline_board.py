"""The team lead's deadline board: overdue and soon-due tasks, by counsellor; closed to other roles."""

from __future__ import annotations

from datetime import date, timedelta

from engine.cases.lifecycle import claim_task, open_case
from engine.strafantrag.periods import record_offence
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR
from tests.steps import task_id_for


def test_board_lists_overdue_and_soon_due_by_counsellor(deployed, client, auth, clock):
    first = open_case(deployed, COUNSELLOR).case_id
    claim_task(deployed, COUNSELLOR, task_id_for(deployed, first, "eingang"))
    clock.set(clock.now() + timedelta(hours=3))  # anna's Eingang (due in 2 office hours) is now overdue
    second = open_case(deployed, OTHER_COUNSELLOR).case_id
    auth.login("tara")
    page = client.get("/fristen").get_data(as_text=True)
    anna = page[page.index('data-assignee="anna"') :]
    anna = anna[: anna.index("</tr>")]
    assert 'class="due overdue">1<' in anna
    unclaimed = page[page.index('data-assignee=""') :]
    assert "nicht übernommen (Beratung)" in unclaimed[: unclaimed.index("</tr>")]
    listed = page[page.index('id="deadlines"') :]
    assert listed.index(task_id_for(deployed, first, "eingang")) < listed.index(
        task_id_for(deployed, second, "eingang")
    )
    assert "seit 1 Arbeitsstd. überfällig" in listed and "fällig in 2 Arbeitsstd." in listed


def test_board_is_for_team_leads_only(client, auth):
    auth.login("anna")
    assert client.get("/fristen").status_code == 403
    assert 'href="/fristen"' not in client.get("/").get_data(as_text=True)


def test_board_lists_strafantrag_deadlines_within_four_weeks(deployed, client, auth):
    soon = open_case(deployed, COUNSELLOR).case_id
    later = open_case(deployed, COUNSELLOR).case_id
    unknown = open_case(deployed, COUNSELLOR).case_id
    # today is Monday 1 June 2026: 13 March + 3 months = Saturday 13 June -> Monday 15 June
    record_offence(deployed, COUNSELLOR, soon, "beleidigung", date(2026, 3, 10), date(2026, 3, 13))
    record_offence(deployed, COUNSELLOR, later, "beleidigung", date(2026, 5, 1), date(2026, 5, 1))
    record_offence(deployed, COUNSELLOR, unknown, "verleumdung", date(2026, 3, 1), None)
    auth.login("tara")
    page = client.get("/fristen").get_data(as_text=True)
    listed = page[page.index('id="strafantraege"') :]
    assert f'data-strafantrag-case="{soon}"' in listed and "15.06.2026" in listed and "noch 14 Tage" in listed
    assert f'data-strafantrag-case="{later}"' not in listed  # 1 August: beyond four weeks
    assert f'data-strafantrag-case="{unknown}"' not in listed  # not running yet
