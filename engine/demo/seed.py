"""Demo data: staff in every role and a dozen cases spread over the steps and risk levels.

Idempotent: staff that exist are kept; cases are only created when no demo case exists yet.
Cases are driven through the real process with the real use cases, at times in the past, so
deadlines and timers are those the engine itself computed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select

from engine.cases.lifecycle import complete_task, open_case
from engine.deadlines.timer_sweep import sweep_timers
from engine.demo.statistics_history import seed_history
from engine.directory.csv_exchange import load_seed
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.person.contact_routes import add_route
from engine.person.contacts_log import NewContact, log_contact
from engine.person.privacy import change_mode
from engine.staff.accounts import add_staff
from engine.store.tables import Case, Staff, Task

DEMO_PASSWORD = "lotse-demo-2026"
DEMO_ACTOR = "demo"


@dataclass(frozen=True)
class DemoStaff:
    username: str
    name: str
    roles: tuple[str, ...]


DEMO_STAFF = (
    DemoStaff("anna", "Anna Berger (Beratung)", ("beratung",)),
    DemoStaff("ben", "Ben Keller (Beratung)", ("beratung",)),
    DemoStaff("tara", "Tara Lehmann (Teamleitung)", ("teamleitung", "beratung")),
    DemoStaff("paul", "Paul Roth (Prozessverantwortung)", ("prozessverantwortung",)),
    DemoStaff("ada", "Ada Vogel (Administration)", ("administration",)),
    DemoStaff("rita", "Rita Sommer (Berichte)", ("berichte",)),
)

EINGANG = {
    "kontaktkanal": "telefon",
    "betroffen": "selbst",
    "land": "NW",
    "amt": "ehrenamt_bm",
    "vorfallarten": ["bedrohung"],
    "vorfallkanal": "social_media",
    "kurzbeschreibung": "Drohende Kommentare unter einem Beitrag der Gemeinde.",
    "einwilligung_dokumentation": True,
}
RISIKO_NEUTRAL = {
    "akute_gefahr": False,
    "koerperlicher_angriff_30_tage": False,
    "pathway_oder_last_resort": False,
    "drohung_leib_leben": False,
    "privatsphaere_exponiert": False,
    "nachstellung": False,
    "warnverhalten_anzahl": 0,
    "angst_selbsteinschaetzung": 3,
}
RISIKO_BY_LEVEL = {
    "AKUT": {"akute_gefahr": True, "angst_selbsteinschaetzung": 10},
    "HOCH": {"koerperlicher_angriff_30_tage": True, "angst_selbsteinschaetzung": 8},
    "MITTEL": {"drohung_leib_leben": True, "angst_selbsteinschaetzung": 6},
    "NIEDRIG": {},
    "INFO": {},
}
VERMITTLUNG = {
    "vermittlungsziele": ["polizei_ansprechstelle", "opferberatung"],
    "schutzmassnahmen": ["auskunftssperre"],
}


def ensure_staff(ctx: EngineContext) -> list[str]:
    """Create missing demo staff; returns the usernames created."""
    created = []
    with ctx.unit_of_work() as session:
        existing = set(session.scalars(select(Staff.username)))
    for person in DEMO_STAFF:
        if person.username not in existing:
            add_staff(ctx, DEMO_ACTOR, person.username, person.name, DEMO_PASSWORD, list(person.roles))
            created.append(person.username)
    return created


def load_demo(ctx: EngineContext) -> dict[str, Any]:
    """Load demo staff and cases once; a second run changes nothing."""
    staff = ensure_staff(ctx)
    offers = load_seed(ctx)
    with ctx.unit_of_work() as session:
        demo_cases = session.scalar(
            select(func.count()).select_from(Case).where(Case.opened_by == DEMO_ACTOR)
        )
    cases = 0 if demo_cases else _create_cases(ctx)
    months = seed_history(ctx, ctx.clock.now())
    return {
        "staff_created": staff,
        "cases_created": cases,
        "offers_created": offers,
        "statistics_months": months,
    }


class _Driver:
    """Walks one case through the process at given times, as the demo counsellor."""

    def __init__(self, ctx: EngineContext, start: datetime) -> None:
        self.ctx = ctx
        self.now = start
        self.actor = Actor("anna", frozenset({"beratung"}))
        self.lead = Actor("tara", frozenset({"teamleitung", "beratung"}))
        self.case_id = open_case(
            ctx, Actor(DEMO_ACTOR, frozenset()), {"kontaktkanal": "telefon"}, now=start
        ).case_id

    def step(self, element_id: str, values: Mapping[str, Any], minutes: int = 20) -> _Driver:
        self.now += timedelta(minutes=minutes)
        with self.ctx.unit_of_work() as session:
            task_id = session.scalar(
                select(Task.id).where(
                    Task.case_id == self.case_id, Task.element_id == element_id, Task.status == "open"
                )
            )
        if task_id is None:
            raise LookupError(f"demo case {self.case_id}: no open task {element_id}")
        actor = self.lead if element_id.startswith(("teamleitung", "eskalation")) else self.actor
        complete_task(self.ctx, actor, task_id, values, now=self.now)
        return self

    def assess(self, level: str, eingang: Mapping[str, Any] | None = None) -> _Driver:
        self.step("eingang", {**EINGANG, **(eingang or {})})
        self.step("risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL[level]})
        return self.step("risikostufe_bestaetigen", {"risikostufe": level})


def _reachable(ctx: EngineContext, case_id: int, at: datetime) -> None:
    """One confidential demo case: a phone number and a code word to find it by, and a logged call."""
    owner = Actor(DEMO_ACTOR, frozenset())
    change_mode(ctx, owner, case_id, "vertraulich", now=at)
    add_route(ctx, owner, case_id, "telefon", "0171 1234567", "mobil", now=at)
    add_route(ctx, owner, case_id, "codewort", "Leuchtturm", now=at)
    summary = "Rückruf vereinbart; Nachricht auf der Mailbox ist in Ordnung."
    log_contact(ctx, owner, case_id, NewContact("anruf", "eingehend", at, 15, summary), now=at)


def _create_cases(ctx: EngineContext) -> int:
    now = ctx.clock.now()
    days = lambda n: now - timedelta(days=n)  # noqa: E731
    _Driver(ctx, days(0) - timedelta(hours=1))
    _Driver(ctx, days(1)).step("eingang", {**EINGANG, "land": "BY", "vorfallarten": ["beleidigung"]})
    _Driver(ctx, days(1)).step("eingang", {**EINGANG, "land": "SN"}).step(
        "risikoeinschaetzung", {**RISIKO_NEUTRAL, **RISIKO_BY_LEVEL["HOCH"]}
    )
    confidential = _Driver(ctx, days(2)).assess("HOCH", {"land": "BE", "amt": "hauptamt_bm"})
    _reachable(ctx, confidential.case_id, days(2))
    _Driver(ctx, days(0) - timedelta(hours=3)).assess(
        "HOCH", {"land": "NW", "vorfallarten": ["sachbeschaedigung_privat"]}
    )
    _Driver(ctx, days(3)).assess("MITTEL", {"land": "HE", "amt": "ratsmitglied"})
    _Driver(ctx, days(0) - timedelta(hours=2)).assess(
        "AKUT", {"land": "BW", "vorfallarten": ["bedrohung", "doxxing"]}
    ).step("akut_notruf", {"notruf_empfohlen": True, "notruf_hinweis_zeit": days(0).date().isoformat()})
    _Driver(ctx, days(5)).assess("NIEDRIG", {"land": "RP", "vorfallarten": ["beleidigung"]}).step(
        "vermittlung", VERMITTLUNG
    )
    _Driver(ctx, days(30)).assess("MITTEL", {"land": "NI", "amt": "kandidatin"}).step(
        "vermittlung", VERMITTLUNG
    )
    _Driver(ctx, days(2)).assess("INFO", {"vorfallarten": ["kein_vorfall"], "land": "TH"})
    closed = (
        _Driver(ctx, days(40))
        .assess("MITTEL", {"land": "HH", "amt": "verwaltung"})
        .step("vermittlung", VERMITTLUNG)
    )
    sweep_timers(ctx, now=days(20))
    closed.now = days(20)
    closed.step("nachfassen", {"hilfe_angekommen": "ja"}).step(
        "abschluss", {"abschlussgrund": "hilfe_vermittelt", "ergebnisse": ["anzeige_erstattet"]}
    )
    _Driver(ctx, days(4)).step(
        "eingang", {**EINGANG, "kontaktkanal": "email", "land": "ST", "betroffen": "familie"}
    )
    sweep_timers(ctx, now=now)
    return 12
