"""Real cases in the inbox benchmark's database, so the case page and a task page can be measured.

The generated 100,000 cases are rows written by SQL (ids 1 … N) whose workflow state nobody reads; the
case and task pages open the state, so a few dozen cases are opened through the engine on top of them
(ids above N), encrypted with the keys the benchmark's gunicorn has. They are kept for the next run.
"""

from __future__ import annotations

from sqlalchemy import select

from benchmarks.web import KEYRING, TEAM_LEADS
from benchmarks.web_open_loop import Targets
from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.lifecycle import open_case
from engine.kernel.actor import Actor
from engine.kernel.context import build_context
from engine.store.tables import Case, Task
from engine.store.vault import Vault, parse_keyring

PAGE_CASES = 40


def page_targets(url: str, generated_cases: int, steps: list[str], count: int = PAGE_CASES) -> Targets:
    """Open ``count`` real cases once (a team lead on the phone), return them with their open tasks."""
    keys, active = parse_keyring(KEYRING)
    ctx = build_context(url, Vault(keys, active), BusinessCalendar(land="NW"))
    try:
        with ctx.db.connect() as connection:
            case_ids = list(
                connection.scalars(select(Case.id).where(Case.id > generated_cases).order_by(Case.id))
            )
        lead = Actor(TEAM_LEADS[0], frozenset({"teamleitung", "beratung"}))
        for _ in range(count - len(case_ids)):
            case_ids.append(open_case(ctx, lead, {"kontaktkanal": "telefon"}).case_id)
        with ctx.db.connect() as connection:
            task_ids = list(
                connection.scalars(
                    select(Task.id).where(Task.case_id.in_(case_ids), Task.status == "open").order_by(Task.id)
                )
            )
    finally:
        ctx.db.dispose()
    return Targets(steps=tuple(steps), case_ids=tuple(case_ids[:count]), task_ids=tuple(task_ids))
