"""What an inbox page costs the database, and that the cheaper reads list exactly the same tasks."""

from __future__ import annotations

import re
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select, update

from engine.cases.lifecycle import claim_task, open_case
from engine.inbox.query import PER_PAGE
from engine.store.tables import Staff, Task
from tests.conftest import COUNSELLOR, OTHER_COUNSELLOR
from tests.steps import task_id_for


def _rows(page: str) -> list[str]:
    return re.findall(r'<tr data-task="([^"]+)"', page)


@contextmanager
def _counting(ctx):
    """Statements (not counting SQLite's BEGIN) and connection checkouts on the engine while the block runs."""
    seen: Counter[str] = Counter()

    def statement(_connection, _cursor, sql: str, *_args) -> None:
        if not sql.startswith("BEGIN"):
            seen["statements"] += 1

    def checkout(*_args) -> None:
        seen["checkouts"] += 1

    ctx.calendar_follower.interval = 3600  # its periodic look at the settings is not the page's work
    event.listen(ctx.db, "before_cursor_execute", statement)
    event.listen(ctx.db.pool, "checkout", checkout)
    try:
        yield seen
    finally:
        event.remove(ctx.db, "before_cursor_execute", statement)
        event.remove(ctx.db.pool, "checkout", checkout)


def test_a_page_is_one_connection_and_three_statements(deployed, client, auth):
    open_case(deployed, COUNSELLOR)
    auth.login("anna")
    client.get("/")  # the process model is read once per process
    for path in ("/", "/?tab=groups", "/?tab=overdue&sort=priority", "/?tab=groups&risk=HOCH&land=NW&page=2"):
        with _counting(deployed) as seen:
            response = client.get(path)
        assert response.status_code == 200
        # the signed-in person; the counts with the filtered total, the process version and the header's
        # AKUT alert; the rows; the intake's "E-Mail sichten" tasks (their counts and first rows in one)
        assert dict(seen) == {"statements": 4, "checkouts": 1}, path
    client.post("/logout", data={"csrf_token": _token(client)})
    auth.login("tara")
    for headers in ({"HX-Request": "true"}, {}):  # the list alone (no header), and the whole page
        with _counting(deployed) as seen:
            page = client.get("/?tab=all", headers=headers).get_data(as_text=True)
        assert dict(seen) == {"statements": 5, "checkouts": 1}, headers  # and the colleagues to reassign to
        assert len(_rows(page)) == 1


def _token(client) -> str:
    page = client.get("/").get_data(as_text=True)
    return re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)


def test_overdue_tab_of_a_counsellor_lists_own_and_group_tasks_in_order_over_pages(
    deployed, client, auth, clock
):
    cases = [open_case(deployed, COUNSELLOR).case_id for _ in range(PER_PAGE + 20)]
    for number, case_id in enumerate(cases):
        task_id = task_id_for(deployed, case_id, "eingang")
        if number % 4 == 0:
            claim_task(deployed, COUNSELLOR, task_id)  # anna's own
        elif number % 9 == 1:
            claim_task(deployed, OTHER_COUNSELLOR, task_id)  # ben's: not in anna's lists
        clock.set(clock.now() + timedelta(minutes=5))
    clock.set(clock.now() + timedelta(days=4))  # every Eingang is overdue now
    with deployed.unit_of_work(writes=False) as session:
        tasks = session.execute(
            select(Task.id, Task.due_at, Task.priority, Task.assignee).where(Task.status == "open")
        ).all()
    wanted = [task for task in tasks if task.assignee in (None, "anna") and task.due_at < clock.now()]
    assert len(wanted) > PER_PAGE and any(task.assignee == "ben" for task in tasks)
    assert (
        len([task for task in wanted if task.assignee is None]) > PER_PAGE
    )  # page 2 needs more than 25 of them
    by_due = [task.id for task in sorted(wanted, key=lambda task: (task.due_at, -task.priority, task.id))]
    by_priority = [
        task.id for task in sorted(wanted, key=lambda task: (-task.priority, task.due_at, task.id))
    ]
    auth.login("anna")
    for sort, expected in (("due", by_due), ("priority", by_priority)):
        listed = []
        for page in (1, 2):
            html = client.get(f"/?tab=overdue&sort={sort}&page={page}").get_data(as_text=True)
            assert f'data-count="overdue">{len(wanted)}<' in html
            listed += _rows(html)
        assert listed == expected, sort


def test_a_deactivated_person_is_signed_out_at_the_next_request(deployed, client, auth):
    auth.login("anna")
    assert client.get("/").status_code == 200
    with deployed.unit_of_work() as session:
        session.execute(update(Staff).where(Staff.username == "anna").values(active=False))
        session.commit()
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def _total(page: str) -> int:
    found = re.search(r'id="inbox-summary"[^>]*>(\d+) Aufgabe', page)
    assert found, "no total on the page"
    return int(found.group(1))


def test_filtered_totals_of_team_tabs_are_shared_for_seconds_own_ones_are_fresh(deployed, tmp_path, clock):
    """With the production setting a filtered "Meine Gruppen" total is a team count like the tab's own."""
    from engine.staff.accounts import add_staff
    from tests.web.conftest import PASSWORD, ROLES, csrf_token
    from web.app import create_app

    for username, roles in ROLES.items():
        add_staff(deployed, "test", username, username.title(), PASSWORD, list(roles))
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "LOTSE_CONTEXT": deployed})
    anna = app.test_client()
    login = anna.get("/login").get_data(as_text=True)
    anna.post("/login", data={"username": "anna", "password": PASSWORD, "csrf_token": csrf_token(login)})
    first = open_case(deployed, COUNSELLOR).case_id
    assert _total(anna.get("/?tab=groups&step=eingang").get_data(as_text=True)) == 1
    open_case(deployed, COUNSELLOR)  # not through this process
    page = anna.get("/?tab=groups&step=eingang").get_data(as_text=True)
    assert _total(page) == 1 and len(_rows(page)) == 2  # the total may lag a few seconds, the rows never
    clock.set(clock.now() + timedelta(seconds=6))
    page = anna.get("/?tab=groups&step=eingang").get_data(as_text=True)
    assert _total(page) == 2
    anna.post(
        f"/aufgaben/{task_id_for(deployed, first, 'eingang')}/uebernehmen",
        data={"csrf_token": csrf_token(page)},
    )  # an action in this process forgets the shared totals at once
    assert _total(anna.get("/?tab=groups&step=eingang").get_data(as_text=True)) == 1
    claim_task(deployed, COUNSELLOR, task_id_for(deployed, cases_left(deployed, first), "eingang"))
    assert _total(anna.get("/?tab=mine&step=eingang").get_data(as_text=True)) == 2  # own: always fresh


def test_a_counsellors_filtered_overdue_total_is_own_part_fresh_and_group_part_shared(
    deployed, tmp_path, clock
):
    """A counsellor's filtered "Überfällig" is their own overdue tasks, always read fresh, plus their groups'
    unclaimed ones, a team count shared for seconds like the filtered total of "Meine Gruppen"."""
    from engine.staff.accounts import add_staff
    from tests.web.conftest import PASSWORD, ROLES, csrf_token
    from web.app import create_app

    for username, roles in ROLES.items():
        add_staff(deployed, "test", username, username.title(), PASSWORD, list(roles))
    app = create_app({"TESTING": True, "INSTANCE_PATH": tmp_path, "LOTSE_CONTEXT": deployed})
    cases = [open_case(deployed, COUNSELLOR).case_id for _ in range(4)]
    clock.set(clock.now() + timedelta(days=4))  # every Eingang is overdue now
    anna, ben = app.test_client(), app.test_client()
    for client, name in ((anna, "anna"), (ben, "ben")):
        login = client.get("/login").get_data(as_text=True)
        client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf_token(login)})
    claim_task(deployed, COUNSELLOR, task_id_for(deployed, cases[0], "eingang"))  # not through this process
    path = "/?tab=overdue&step=eingang"
    page = anna.get(path).get_data(as_text=True)
    assert (_total(page), len(_rows(page))) == (4, 4)  # 1 own + 3 of the group
    claim_task(deployed, OTHER_COUNSELLOR, task_id_for(deployed, cases[1], "eingang"))
    page = ben.get(path).get_data(as_text=True)
    # ben's own part is read fresh (1), the group's is the team's shared count (still 3); the rows never lag
    assert (_total(page), len(_rows(page))) == (4, 3)
    claim_task(deployed, COUNSELLOR, task_id_for(deployed, cases[2], "eingang"))
    assert _total(anna.get(path).get_data(as_text=True)) == 5  # anna's own part: 2, fresh
    clock.set(clock.now() + timedelta(seconds=6))
    for client, own in ((anna, 2), (ben, 1)):
        page = client.get(path).get_data(as_text=True)
        assert (_total(page), len(_rows(page))) == (own + 1, own + 1)  # and the one task left in the group


def cases_left(ctx, claimed: int) -> int:
    """The other case with an open Eingang (the one not claimed yet)."""
    with ctx.unit_of_work(writes=False) as session:
        return session.scalar(
            select(Task.case_id).where(
                Task.status == "open", Task.element_id == "eingang", Task.case_id != claimed
            )
        )


def test_shared_counts_stay_bounded_however_many_filters_are_asked_for(clock):
    from engine.inbox.shared_counts import SharedCounts

    shared = SharedCounts(5.0)
    now = clock.now()
    for number in range(SharedCounts.MAX_ENTRIES + 10):
        shared.put(("team", number), {"total": number}, now)
    assert len(shared._entries) <= SharedCounts.MAX_ENTRIES
    assert shared.get(("team", SharedCounts.MAX_ENTRIES + 9), now) == {"total": SharedCounts.MAX_ENTRIES + 9}
    later = now + timedelta(seconds=6)
    shared.put(("team", "late"), {"total": 1}, later)  # expired entries are the first to go
    assert shared.get(("team", SharedCounts.MAX_ENTRIES + 9), later) is None
    assert shared.get(("team", "late"), later) == {"total": 1}


def test_pages_with_a_use_case_give_the_reading_connection_back_first(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login("anna")
    held, most = [0], [0]

    def checkout(*_args) -> None:
        held[0] += 1
        most[0] = max(most[0], held[0])

    def checkin(*_args) -> None:
        held[0] -= 1

    event.listen(deployed.db.pool, "checkout", checkout)
    event.listen(deployed.db.pool, "checkin", checkin)
    try:
        assert client.get(f"/faelle/{case_id}").status_code == 200
        case_page = most[0]
        most[0] = 0
        assert client.get("/").status_code == 200
    finally:
        event.remove(deployed.db.pool, "checkout", checkout)
        event.remove(deployed.db.pool, "checkin", checkin)
    assert case_page == 1 and most[0] == 1 and held[0] == 0
