"""The inbox: tabs with counts, due times in working time, filters, sorting, paging, claim/release/reassign."""

from __future__ import annotations

import re
from datetime import timedelta

from engine.cases.lifecycle import claim_task, open_case
from engine.demo.seed import EINGANG, RISIKO_BY_LEVEL, RISIKO_NEUTRAL
from engine.inbox.query import PER_PAGE
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR
from tests.steps import complete, open_tasks, task_id_for
from tests.web.conftest import csrf_token


def _count(page: str, tab: str) -> int:
    found = re.search(rf'data-count="{tab}">(\d+)<', page)
    assert found, f"no count for tab {tab}"
    return int(found.group(1))


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-task="([^"]+)"', page)


def _case_at(ctx, level: str, land: str = "NW") -> int:
    case_id = open_case(ctx, COUNSELLOR).case_id
    complete(ctx, COUNSELLOR, case_id, "eingang", {**EINGANG, "land": land})
    complete(ctx, COUNSELLOR, case_id, "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL[level]})
    complete(ctx, COUNSELLOR, case_id, "risikostufe_bestaetigen", {"risikostufe": level})
    return case_id


def test_tabs_show_counts_and_team_leads_see_all(deployed, client, auth):
    mine = open_case(deployed, COUNSELLOR).case_id
    claim_task(deployed, COUNSELLOR, task_id_for(deployed, mine, "eingang"))
    open_case(deployed, COUNSELLOR)
    theirs = open_case(deployed, COUNSELLOR).case_id
    claim_task(deployed, OTHER_COUNSELLOR, task_id_for(deployed, theirs, "eingang"))
    auth.login("anna")
    page = client.get("/").get_data(as_text=True)
    assert (_count(page, "mine"), _count(page, "groups"), _count(page, "overdue")) == (1, 1, 0)
    assert 'data-tab="all"' not in page  # only team leads
    assert len(_rows(page)) == 1
    # a counsellor asking for "all" gets her own tab, never other people's tasks
    assert _rows(client.get("/?tab=all").get_data(as_text=True)) == [task_id_for(deployed, mine, "eingang")]
    client.post("/logout", data={"csrf_token": csrf_token(page)})
    auth.login("tara")
    page = client.get("/?tab=all").get_data(as_text=True)
    assert _count(page, "all") == 3 and len(_rows(page)) == 3


def test_due_time_in_working_time_and_overdue_tab(deployed, client, auth, clock):
    case_id = open_case(deployed, COUNSELLOR).case_id  # Eingang due in 2 working hours
    auth.login()
    page = client.get("/?tab=groups").get_data(as_text=True)
    assert "fällig in 2 Arbeitsstd." in page
    # Friday 10:00; due was Monday 12:00; Thursday 4 June 2026 is Fronleichnam (NW): 19 office hours
    clock.set(clock.now() + timedelta(days=4))
    auth.login()  # four days later: the session has long ended
    page = client.get("/?tab=overdue").get_data(as_text=True)
    assert _count(page, "overdue") == 1
    assert "seit 2 Arbeitstagen überfällig" in page
    assert 'class="due overdue"' in page
    assert task_id_for(deployed, case_id, "eingang") in _rows(page)


def test_risk_level_is_text_and_colour_and_filters_narrow_the_list(deployed, client, auth):
    hoch = _case_at(deployed, "HOCH", land="SN")
    niedrig = _case_at(deployed, "NIEDRIG", land="NW")
    auth.login()
    page = client.get("/?tab=groups").get_data(as_text=True)
    assert (
        '<span class="risk hoch">HOCH</span>' in page and '<span class="risk niedrig">NIEDRIG</span>' in page
    )
    only_hoch = _rows(client.get("/?tab=groups&risk=HOCH").get_data(as_text=True))
    assert only_hoch == [task_id_for(deployed, hoch, "vermittlung")]
    only_nw = _rows(client.get("/?tab=groups&land=NW").get_data(as_text=True))
    assert only_nw == [task_id_for(deployed, niedrig, "vermittlung")]
    by_step = _rows(client.get("/?tab=groups&step=eingang").get_data(as_text=True))
    assert by_step == []
    nonsense = client.get("/?tab=groups&risk=<script>&land=1234&due=x&sort=y&page=abc")
    assert nonsense.status_code == 200 and "<script>" not in nonsense.get_data(as_text=True)


def test_sort_by_priority_puts_hoch_first(deployed, client, auth):
    _case_at(deployed, "NIEDRIG")
    hoch = _case_at(deployed, "HOCH")
    auth.login()
    rows = _rows(client.get("/?tab=groups&sort=priority").get_data(as_text=True))
    assert rows[0] == task_id_for(deployed, hoch, "vermittlung")


def test_pagination(deployed, client, auth):
    for _ in range(PER_PAGE + 2):
        open_case(deployed, COUNSELLOR)
    auth.login()
    first = client.get("/?tab=groups").get_data(as_text=True)
    second = client.get("/?tab=groups&page=2").get_data(as_text=True)
    assert len(_rows(first)) == PER_PAGE and len(_rows(second)) == 2
    assert "Seite 1 von 2" in first and "Seite 2 von 2" in second
    assert not set(_rows(first)) & set(_rows(second))
    assert len(_rows(client.get("/?tab=groups&page=99").get_data(as_text=True))) == 2  # clamped to the last


def test_claim_and_release_with_htmx_partial(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    task_id = task_id_for(deployed, case_id, "eingang")
    auth.login()
    token = csrf_token(client.get("/").get_data(as_text=True))
    response = client.post(
        f"/aufgaben/{task_id}/uebernehmen",
        data={"csrf_token": token, "tab": "groups"},
        headers={"HX-Request": "true"},
    )
    partial = response.get_data(as_text=True)
    assert response.status_code == 200 and partial.startswith('<div id="inbox"') and "<html" not in partial
    assert "Aufgabe übernommen." in partial
    assert open_tasks(deployed, case_id)["eingang"].assignee == "anna"
    assert _count(partial, "mine") == 1
    response = client.post(f"/aufgaben/{task_id}/freigeben", data={"csrf_token": token, "tab": "mine"})
    assert response.status_code == 302 and response.headers["Location"].startswith("/?tab=mine")
    assert open_tasks(deployed, case_id)["eingang"].assignee is None


def test_claiming_a_task_someone_else_claimed_says_who(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    task_id = task_id_for(deployed, case_id, "eingang")
    auth.login()
    token = csrf_token(client.get("/").get_data(as_text=True))
    claim_task(deployed, OTHER_COUNSELLOR, task_id)
    response = client.post(
        f"/aufgaben/{task_id}/uebernehmen", data={"csrf_token": token}, headers={"HX-Request": "1"}
    )
    assert "Diese Aufgabe hat bereits ben übernommen." in response.get_data(as_text=True)
    assert open_tasks(deployed, case_id)["eingang"].assignee == "ben"


def test_reassign_is_for_team_leads_only(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    task_id = task_id_for(deployed, case_id, "eingang")
    auth.login("anna")
    token = csrf_token(client.get("/").get_data(as_text=True))
    assert (
        client.post(
            f"/aufgaben/{task_id}/zuweisen", data={"csrf_token": token, "assignee": "anna"}
        ).status_code
        == 403
    )
    assert open_tasks(deployed, case_id)["eingang"].assignee is None
    client.post("/logout", data={"csrf_token": token})
    auth.login("tara")
    token = csrf_token(client.get("/?tab=all").get_data(as_text=True))
    response = client.post(
        f"/aufgaben/{task_id}/zuweisen", data={"csrf_token": token, "assignee": "ben", "tab": "all"}
    )
    assert response.status_code == 302
    assert open_tasks(deployed, case_id)["eingang"].assignee == "ben"
    refused = client.post(
        f"/aufgaben/{task_id}/zuweisen",
        data={"csrf_token": token, "assignee": "paul"},
        headers={"HX-Request": "1"},
    )
    assert "nicht" in refused.get_data(as_text=True).lower() or "Berechtigung" in refused.get_data(
        as_text=True
    )
    assert open_tasks(deployed, case_id)["eingang"].assignee == "ben"  # paul is not a counsellor


def test_team_counts_are_shared_for_seconds_but_own_counts_and_actions_are_fresh(deployed, tmp_path, clock):
    """With the production setting, "Meine Gruppen" is answered once per team for a few seconds."""
    from engine.staff.accounts import add_staff
    from tests.web.conftest import PASSWORD, ROLES
    from web.app import create_app

    for username, roles in ROLES.items():
        add_staff(deployed, "test", username, username.title(), PASSWORD, list(roles))
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "LOTSE_CONTEXT": deployed})
    anna, ben = app.test_client(), app.test_client()
    for client, name in ((anna, "anna"), (ben, "ben")):
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(login)})
    first = open_case(deployed, COUNSELLOR).case_id
    assert _count(anna.get("/").get_data(as_text=True), "groups") == 1
    open_case(deployed, COUNSELLOR)  # not through this process: the team's count may lag a few seconds
    assert _count(ben.get("/").get_data(as_text=True), "groups") == 1
    clock.set(clock.now() + timedelta(seconds=6))
    page = ben.get("/").get_data(as_text=True)
    assert _count(page, "groups") == 2
    # an action in this process forgets the shared counts at once, and "mine" is always fresh
    ben.post(
        f"/aufgaben/{task_id_for(deployed, first, 'eingang')}/uebernehmen",
        data={"csrf_token": csrf_token(page)},
    )
    page = anna.get("/").get_data(as_text=True)
    assert (_count(page, "groups"), _count(page, "mine")) == (1, 0)
    assert _count(ben.get("/").get_data(as_text=True), "mine") == 1


def _actions_form_fields(page: str) -> dict[str, str]:
    """What a browser without JavaScript sends with a row's button: the actions form's own fields and
    every field elsewhere on the page that names the form (``form="inbox-actions"``)."""
    inside = re.search(r'<form id="inbox-actions"[^>]*>(.*?)</form>', page, re.S)
    assert inside, "no actions form on the page"
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', inside.group(1)))
    for name, value in re.findall(
        r'<input type="text" class="assignee" id="[^"]+" name="([^"]+)" form="inbox-actions" list="[^"]+" value="([^"]*)"',
        page,
    ):
        fields[name] = value
    return fields


def _formaction(page: str, task_id: str, label: str) -> str:
    found = re.search(rf'formaction="(/aufgaben/{re.escape(task_id)}/[a-z]+)">{label}</button>', page)
    assert found, f"no {label} button for {task_id}"
    return found.group(1)


def test_rows_share_one_actions_form_with_the_token_and_filters(deployed, client, auth):
    for _ in range(3):
        open_case(deployed, COUNSELLOR)
    auth.login()
    page = client.get("/?tab=groups&sort=priority").get_data(as_text=True)
    tbody = page[page.index("<tbody>") : page.index("</tbody>")]
    assert len(_rows(page)) == 3 and "<form" not in tbody and "csrf_token" not in tbody
    assert tbody.count('form="inbox-actions"') == 3
    fields = _actions_form_fields(page)
    assert fields["tab"] == "groups" and fields["sort"] == "priority" and fields["csrf_token"]
    assert page.count(f'value="{fields["csrf_token"]}"') == 3  # the actions form and the two header forms


def test_claim_and_release_as_a_browser_without_javascript_posts_them(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    task_id = task_id_for(deployed, case_id, "eingang")
    auth.login()
    page = client.get("/?tab=groups").get_data(as_text=True)
    response = client.post(_formaction(page, task_id, "Übernehmen"), data=_actions_form_fields(page))
    assert response.status_code == 302 and response.headers["Location"] == "/?tab=groups&sort=due&page=1"
    assert open_tasks(deployed, case_id)["eingang"].assignee == "anna"
    page = client.get("/").get_data(as_text=True)
    response = client.post(
        _formaction(page, task_id, "Freigeben"), data=_actions_form_fields(page), headers={"HX-Request": "1"}
    )
    assert "Aufgabe an die Gruppe zurückgegeben." in response.get_data(as_text=True)
    assert open_tasks(deployed, case_id)["eingang"].assignee is None


def test_team_lead_reassigns_with_the_row_field_and_picks_from_one_list_per_group(deployed, client, auth):
    first_case, second_case = open_case(deployed, COUNSELLOR).case_id, open_case(deployed, COUNSELLOR).case_id
    first, second = (
        task_id_for(deployed, first_case, "eingang"),
        task_id_for(deployed, second_case, "eingang"),
    )
    claim_task(deployed, OTHER_COUNSELLOR, second)
    auth.login("tara")
    page = client.get("/?tab=all").get_data(as_text=True)
    assert page.count("<datalist") == 1 and page.count('list="assignees-1"') == 2
    assert '<option value="anna">Anna</option>' in page and '<option value="paul">' not in page
    assert '<label class="sr-only" for="assign-' in page
    fields = _actions_form_fields(page)
    assert fields[f"assignee-{first}"] == "" and fields[f"assignee-{second}"] == "ben"
    fields[f"assignee-{first}"] = "anna"
    response = client.post(_formaction(page, first, "Zuweisen"), data=fields)
    assert response.status_code == 302 and response.headers["Location"].startswith("/?tab=all")
    assert open_tasks(deployed, first_case)["eingang"].assignee == "anna"
    assert open_tasks(deployed, second_case)["eingang"].assignee == "ben"  # its row's field changed nothing
    page = client.get("/?tab=all").get_data(as_text=True)
    fields = _actions_form_fields(page)
    fields[f"assignee-{second}"] = "paul"  # not in the group: refused with the engine's message
    refused = client.post(_formaction(page, second, "Zuweisen"), data=fields, headers={"HX-Request": "1"})
    assert 'class="flash error"' in refused.get_data(as_text=True)
    fields[f"assignee-{second}"] = ""  # back to the group
    client.post(_formaction(page, second, "Zuweisen"), data=fields)
    assert open_tasks(deployed, second_case)["eingang"].assignee is None


def test_back_to_an_address_htmx_pushed_gets_the_whole_page(deployed, client, auth):
    auth.login("anna")
    fragment = client.get("/?tab=groups", headers={"HX-Request": "true"})
    assert "<header" not in fragment.get_data(as_text=True)
    assert "HX-Request" in fragment.headers["Vary"]
    restored = client.get(
        "/?tab=groups", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"}
    ).get_data(as_text=True)
    assert "<header" in restored and 'aria-selected="true" data-tab="groups"' in restored
    assert "HX-Request" in client.get("/").headers["Vary"]


def test_favicon_is_served_on_every_page(client, auth):
    assert client.get("/favicon.ico").status_code == 200
    auth.login("anna")
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.mimetype.startswith("image/")
    assert 'rel="icon"' in client.get("/").get_data(as_text=True)


def test_akut_tasks_are_pinned_first_in_every_tab_and_sort(deployed, client, auth):
    older = [_case_at(deployed, "MITTEL") for _ in range(3)]
    clock = deployed.clock
    for case_id in older:  # overdue, due long before the AKUT case's task
        with deployed.unit_of_work() as session:
            from engine.store.tables import Task

            for task in session.query(Task).filter(Task.case_id == case_id, Task.status == "open"):
                task.due_at = clock.now() - timedelta(days=3)
            session.commit()
    acute = _case_at(deployed, "AKUT")
    acute_tasks = set(open_tasks(deployed, acute))
    auth.login("anna")
    for query in (
        "tab=mine",
        "tab=groups",
        "tab=overdue",
        "tab=mine&sort=priority",
        "tab=groups&sort=priority",
    ):
        page = client.get(f"/?{query}").get_data(as_text=True)
        rows = re.findall(r'<tr data-task="[^"]+" data-step="([^"]+)">\s*<td><a href="/faelle/(\d+)"', page)
        if any(int(case_id) == acute for _, case_id in rows):
            assert int(rows[0][1]) == acute, (query, rows)
    groups = client.get("/?tab=groups").get_data(as_text=True)
    assert acute_tasks and all(f'href="/faelle/{case_id}"' in groups for case_id in (*older, acute))
    acute_row = groups[groups.index(f'href="/faelle/{acute}"') :]
    assert "(Uhrzeit)" in acute_row[: acute_row.index("</tr>")]  # AKUT deadlines run in calendar time
    assert "(Uhrzeit)" not in groups[: groups.index(f'href="/faelle/{acute}"')]


def test_an_unclaimed_akut_task_is_announced_in_every_header_until_claimed(deployed, client, auth):
    auth.login("anna")
    assert 'id="acute-alert"' not in client.get("/faelle/neu").get_data(as_text=True)
    acute = _case_at(deployed, "AKUT")
    for path in ("/", "/faelle/neu", "/termine"):
        page = client.get(path).get_data(as_text=True)
        assert 'id="acute-alert"' in page and "AKUT-Falls wartet auf Übernahme" in page, path
    for task_id in [task.id for task in open_tasks(deployed, acute).values()]:
        claim_task(deployed, OTHER_COUNSELLOR, task_id)
    assert 'id="acute-alert"' not in client.get("/").get_data(as_text=True)


def test_process_owners_and_administrators_start_on_their_own_page(client, auth):
    auth.login("paul")
    assert client.get("/").headers.get("Location") == "/prozesse"
    auth.login("ada")
    assert client.get("/").headers.get("Location") == "/verwaltung/mitarbeitende"
    auth.login("anna")
    assert client.get("/").status_code == 200
