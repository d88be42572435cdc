"""Live counts for one span of days, straight from the tables: figure -> key -> count.

Each figure is one aggregate query (GROUP BY in the database); only the two durations are computed per case
in Python, in the service's working time, and kept as a histogram of tenths of an hour so that monthly
snapshots add up to exactly the figure a live count of the whole period gives.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, case, func, select
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BusinessCalendar
from engine.statistics.period import Span
from engine.store.person_tables import CaseContact, CasePerson
from engine.store.referral_tables import Referral, SupportOffer
from engine.store.tables import AuditEvent, Case, RiskAssessmentRow, StrafantragRow, Task

Counts = dict[str, Counter[str]]
NOT_A_CASE = ("discarded", "merged")  # opened by mistake or a duplicate: not counted as cases
UNKNOWN = "unbekannt"
PROJECTED = {
    "land": Case.land,
    "amt": Case.office_type,
    "kontaktkanal": Case.contact_channel,
    "vorfallkanal": Case.incident_channel,
    "risikostufe": Case.risk_level,
}


def count_span(session: Session, office: BusinessCalendar, span: Span) -> Counts:
    """Every figure for the days of ``span``."""
    start, end = span.bounds()
    counts: Counts = {}
    for figure, query in _grouped_queries(start, end, span).items():
        counts[figure] = _grouped(session, query)
    counts["vorfallarten"] = _split_codes(session, start, end)
    counts["zeit_erste_vermittlung"] = _durations(session, office, _first_referrals(start, end))
    counts["zeit_erster_kontakt"] = _durations(session, office, _first_contacts(start, end))
    return counts


def _opened(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Case.opened_at >= start, Case.opened_at < end, Case.status.not_in(NOT_A_CASE))


def _in(column: object, start: object, end: object) -> ColumnElement[bool]:
    return and_(column >= start, column < end)  # type: ignore[operator]


def _grouped_queries(start: datetime, end: datetime, span: Span) -> dict[str, Select]:
    opened = _opened(start, end)
    keyed: Callable[..., Select] = lambda *keys: select(*keys, func.count()).group_by(*keys)  # noqa: E731
    queries: dict[str, Select] = {
        "faelle_eroeffnet": select(func.count()).select_from(Case).where(opened),
        "faelle_abgeschlossen": select(func.count())
        .select_from(Case)
        .where(Case.status == "closed", _in(Case.closed_at, start, end)),
        "kontakte": keyed(CaseContact.channel).where(_in(CaseContact.at, start, end)),
        "anliegen": keyed(func.coalesce(Case.request_kind, "beratung")).where(opened),
        "betroffen": keyed(CasePerson.affected_role).join(Case, Case.id == CasePerson.case_id).where(opened),
        "risiko_entscheidung": keyed(RiskAssessmentRow.result, RiskAssessmentRow.overridden).where(
            _in(RiskAssessmentRow.assessed_at, start, end)
        ),
        "vermittlung_kategorie_land": keyed(SupportOffer.category, Case.land)
        .select_from(Referral)
        .join(SupportOffer, SupportOffer.id == Referral.offer_id)
        .join(Case, Case.id == Referral.case_id)
        .where(_in(Referral.created_at, start, end)),
        "vermittlung_warm": keyed(Referral.handover_at.is_not(None)).where(
            _in(Referral.created_at, start, end)
        ),
        "vermittlung_ergebnis": keyed(Referral.status).where(_in(Referral.created_at, start, end)),
        "strafantrag_verfolgt": keyed(StrafantragRow.status).where(
            _in(StrafantragRow.recorded_at, start, end)
        ),
        "strafantrag_fristende": keyed(StrafantragRow.status).where(
            _in(StrafantragRow.deadline, span.first, _after(span))
        ),
        "fristen_schritt": keyed(Task.element_id, _deadline_outcome()).where(
            Task.status != "cancelled", Task.due_at.is_not(None), _in(Task.due_at, start, end)
        ),
        "eskalationen_schritt": keyed(AuditEvent.detail).where(
            AuditEvent.action == "escalated", _in(AuditEvent.at, start, end)
        ),
    }
    for figure, column in PROJECTED.items():
        queries[figure] = keyed(column).where(opened)
    return queries


def _after(span: Span) -> date:
    return span.last + timedelta(days=1)


def _deadline_outcome() -> ColumnElement[str]:
    return case(
        (and_(Task.completed_at.is_not(None), Task.completed_at <= Task.due_at), "eingehalten"),
        (Task.completed_at.is_not(None), "verpasst"),
        else_="offen",
    )


def _grouped(session: Session, query: Select) -> Counter[str]:
    counts: Counter[str] = Counter()
    for row in session.execute(query):
        *keys, count = row
        counts["|".join(_key(value) for value in keys)] += count
    return counts


def _key(value: object) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "ja" if value else "nein"
    return str(value)


def _split_codes(session: Session, start: datetime, end: datetime) -> Counter[str]:
    counts: Counter[str] = Counter()
    query = select(Case.incident_types, func.count()).where(_opened(start, end)).group_by(Case.incident_types)
    for codes, count in session.execute(query):
        for code in (codes or UNKNOWN).split():
            counts[code] += count
    return counts


def _first_referrals(start: datetime, end: datetime) -> Select:
    first = func.min(Referral.created_at)
    return (
        select(Case.risk_level, Case.opened_at, first)
        .join(Referral, Referral.case_id == Case.id)
        .where(_opened(start, end))
        .group_by(Case.id, Case.risk_level, Case.opened_at)
    )


def _first_contacts(start: datetime, end: datetime) -> Select:
    return select(Case.risk_level, Case.opened_at, Case.first_contact_at).where(
        _opened(start, end), Case.first_contact_at.is_not(None)
    )


def _durations(session: Session, office: BusinessCalendar, query: Select) -> Counter[str]:
    """A histogram ``risk level|hours`` of working hours from opening, in tenths of an hour."""
    counts: Counter[str] = Counter()
    for risk, opened_at, reached_at in session.execute(query):
        hours = max(0.0, office.working_hours_between(opened_at, reached_at))
        counts[f"{_key(risk)}|{round(hours, 1):.1f}"] += 1
    return counts
