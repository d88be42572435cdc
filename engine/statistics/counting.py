"""Live counts for spans of days, straight from the tables: per span, figure -> key -> count.

Each figure is one aggregate query (GROUP BY in the database) over all the spans at once, the span of a row
told by a CASE over the span borders. The two durations are grouped too, from the working time stored when
the event happened (``engine.statistics.durations``), kept as a histogram of tenths of an hour so that monthly
snapshots add up to exactly the figure a live count of the whole period gives; rows from before that column
existed are measured on the office calendar here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Select, Subquery, and_, case, func, literal, select
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BusinessCalendar
from engine.statistics.durations import hours_key, working_tenths
from engine.statistics.facets import Facets, count_facets, reporting_plans
from engine.statistics.period import Span
from engine.store.person_tables import CaseContact, CasePerson
from engine.store.referral_tables import Referral, SupportOffer
from engine.store.tables import AuditEvent, Case, RiskAssessmentRow, StrafantragRow, Task

Counts = dict[str, Counter[str]]
NOT_A_CASE = ("discarded", "merged")  # opened by mistake or a duplicate: not counted as cases
UNKNOWN = "unbekannt"
# a purged case whose values were coarsened is counted only in the monthly snapshots taken before
# (``engine.cases.coarsening``); its moved times and generalised values would change a live count
LIVE: ColumnElement[bool] = Case.statistics_period.is_(None)
GAP = -1  # the span index of rows between two spans counted together that are not adjacent
PROJECTED = {
    "land": Case.land,
    "amt": Case.office_type,
    "kontaktkanal": Case.contact_channel,
    "vorfallkanal": Case.incident_channel,
    "risikostufe": Case.risk_level,
}
SPLIT = ("vorfallarten", "anliegen_themen")  # multiple choices: each code counted (mentions, not cases)
FIGURES = (
    *("faelle_eroeffnet", "faelle_abgeschlossen", "kontakte", "anliegen", "betroffen", "risiko_entscheidung"),
    *("vermittlung_kategorie_land", "vermittlung_warm", "vermittlung_ergebnis", "strafantrag_verfolgt"),
    *("strafantrag_fristende", "fristen_schritt", "eskalationen_schritt", *PROJECTED, *SPLIT),
    *("zeit_erste_vermittlung", "zeit_erster_kontakt"),
)


def count_span(session: Session, office: BusinessCalendar, span: Span) -> Counts:
    """Every figure for the days of ``span``."""
    return count_spans(session, office, [span])[0]


def count_spans(session: Session, office: BusinessCalendar, spans: Sequence[Span]) -> list[Counts]:
    """Every figure for each of ``spans`` (in order, not overlapping): a few queries, each over all spans."""
    if not spans:
        return []
    result: list[Counts] = [{figure: Counter() for figure in FIGURES} for _ in spans]

    def add(figure: str, index: int, key: str, count: int) -> None:
        if index != GAP:
            result[index][figure][key] += count

    with reporting_plans(session):
        _count(session, office, spans, add)
    return result


def _count(
    session: Session,
    office: BusinessCalendar,
    spans: Sequence[Span],
    add: Callable[[str, int, str, int], None],
) -> None:
    for figure, query in _grouped_queries(spans).items():
        for index, *keys, count in session.execute(query):
            add(figure, index, _joined(keys), count)
    for figure, (index, *keys), count in count_facets(session, *_case_facets(spans)):
        if figure in SPLIT:
            for code in (keys[0] or UNKNOWN).split():
                add(figure, index, code, count)
        else:
            add(figure, index, _joined(keys), count)
    for figure, (index, *keys), count in count_facets(session, *_duration_facets(spans)):
        if figure == "zeit_erster_kontakt":
            if keys[0]:  # replied
                add(figure, index, _duration(office, *keys[1:]), count)
        elif keys[1] is not None:  # referred (the first referral's working time stored)
            add(figure, index, _duration(office, *keys, None, None), count)
    for figure, (index, *keys), count in count_facets(session, *_referral_facets(spans)):
        add(figure, index, _joined(keys), count)
    for index, *keys, count in session.execute(_unmeasured_first_referrals(spans)):
        add("zeit_erste_vermittlung", index, _duration(office, *keys), count)


def _span_index(column: Any, cuts: Sequence[tuple[object, int]], last: int) -> ColumnElement[int]:
    """The index of the span a value falls into: the first cut (border, index) the value lies below, else
    ``last``; the gap between two spans that are not adjacent has the index -1."""
    if not cuts:
        return literal(last)
    return case(*((column < border, index) for border, index in cuts), else_=last)


def _cuts(bounds: Sequence[tuple[Any, Any]]) -> list[tuple[object, int]]:
    """The cuts of spans given as (start, end exclusive), in order."""
    cuts: list[tuple[object, int]] = []
    for index, (_, end) in enumerate(bounds[:-1]):
        cuts.append((end, index))
        if bounds[index + 1][0] > end:
            cuts.append((bounds[index + 1][0], GAP))
    return cuts


def _instants(spans: Sequence[Span]) -> tuple[datetime, datetime, list[tuple[object, int]]]:
    bounds = [span.bounds() for span in spans]
    return bounds[0][0], bounds[-1][1], _cuts(bounds)


def _opened(start: datetime, end: datetime) -> ColumnElement[bool]:
    return and_(Case.opened_at >= start, Case.opened_at < end, Case.status.not_in(NOT_A_CASE), LIVE)


def _in(column: object, start: object, end: object) -> ColumnElement[bool]:
    return and_(column >= start, column < end)  # type: ignore[operator]


def _grouped_queries(spans: Sequence[Span]) -> dict[str, Select]:
    start, end, cuts = _instants(spans)
    opened = _opened(start, end)
    last = len(spans) - 1

    def keyed(at: Any, *keys: Any) -> Select:
        index = _span_index(at, cuts, last).label("span")
        return select(index, *keys, func.count()).group_by(index, *keys)

    days = _cuts([(span.first, _after(span)) for span in spans])
    deadline = _span_index(StrafantragRow.deadline, days, last).label("span")
    queries: dict[str, Select] = {
        "faelle_abgeschlossen": keyed(Case.closed_at).where(
            Case.status == "closed", _in(Case.closed_at, start, end), LIVE
        ),
        "kontakte": keyed(CaseContact.at, CaseContact.channel).where(_in(CaseContact.at, start, end)),
        "betroffen": keyed(Case.opened_at, CasePerson.affected_role)
        .select_from(CasePerson)
        .join(Case, Case.id == CasePerson.case_id)
        .where(opened),
        "risiko_entscheidung": keyed(
            RiskAssessmentRow.assessed_at, RiskAssessmentRow.result, RiskAssessmentRow.overridden
        ).where(_in(RiskAssessmentRow.assessed_at, start, end)),
        "strafantrag_verfolgt": keyed(StrafantragRow.recorded_at, StrafantragRow.status).where(
            _in(StrafantragRow.recorded_at, start, end)
        ),
        "strafantrag_fristende": select(deadline, StrafantragRow.status, func.count())
        .where(_in(StrafantragRow.deadline, spans[0].first, _after(spans[-1])))
        .group_by(deadline, StrafantragRow.status),
        "fristen_schritt": keyed(Task.due_at, Task.element_id, _deadline_outcome()).where(
            Task.status != "cancelled", Task.due_at.is_not(None), _in(Task.due_at, start, end)
        ),
        "eskalationen_schritt": keyed(AuditEvent.at, AuditEvent.detail).where(
            AuditEvent.action == "escalated", _in(AuditEvent.at, start, end)
        ),
    }
    return queries


def _case_facets(spans: Sequence[Span]) -> tuple[Subquery, Facets]:
    """The counts of cases opened in the spans: one pass over the cases (see ``engine.statistics.facets``)."""
    start, end, cuts = _instants(spans)
    columns = {
        "span": _span_index(Case.opened_at, cuts, len(spans) - 1),
        "anliegen": func.coalesce(Case.request_kind, "beratung"),
        **PROJECTED,
        "vorfallarten": Case.incident_types,
        "anliegen_themen": Case.request_topics,
    }
    rows = (
        select(*(column.label(name) for name, column in columns.items()))
        .where(_opened(start, end))
        .subquery()
    )
    facets: dict[str, tuple[str, ...]] = {"faelle_eroeffnet": ("span",)}
    facets.update((figure, ("span", figure)) for figure in ("anliegen", *PROJECTED, *SPLIT))
    return rows, facets


def _duration_facets(spans: Sequence[Span]) -> tuple[Subquery, Facets]:
    """The durations of cases opened in the spans, in a pass of their own: their histograms have many more
    groups than the counts, and a narrow result is much faster to read."""
    start, end, cuts = _instants(spans)
    unmeasured = Case.first_contact_tenths.is_(None)
    columns = {
        "span": _span_index(Case.opened_at, cuts, len(spans) - 1),
        "risk": Case.risk_level,
        "replied": case((Case.first_contact_at.is_(None), 0), else_=1),
        "reply_tenths": Case.first_contact_tenths,
        "reply_opened_at": case((unmeasured, Case.opened_at)),
        "reply_at": case((unmeasured, Case.first_contact_at)),
        "referral_tenths": Case.first_referral_tenths,
    }
    rows = (
        select(*(column.label(name) for name, column in columns.items()))
        .where(_opened(start, end))
        .subquery()
    )
    facets = {
        "zeit_erster_kontakt": ("span", "replied", "risk", "reply_tenths", "reply_opened_at", "reply_at"),
        "zeit_erste_vermittlung": ("span", "risk", "referral_tenths"),
    }
    return rows, facets


def _referral_facets(spans: Sequence[Span]) -> tuple[Subquery, Facets]:
    start, end, cuts = _instants(spans)
    rows = (
        select(
            _span_index(Referral.created_at, cuts, len(spans) - 1).label("span"),
            SupportOffer.category.label("category"),
            Case.land.label("land"),
            Referral.handover_at.is_not(None).label("warm"),
            Referral.status.label("status"),
        )
        .select_from(Referral)
        .join(SupportOffer, SupportOffer.id == Referral.offer_id)
        .join(Case, Case.id == Referral.case_id)
        .where(_in(Referral.created_at, start, end))
        .subquery()
    )
    facets = {
        "vermittlung_kategorie_land": ("span", "category", "land"),
        "vermittlung_warm": ("span", "warm"),
        "vermittlung_ergebnis": ("span", "status"),
    }
    return rows, facets


def _after(span: Span) -> date:
    return span.last + timedelta(days=1)


def _deadline_outcome() -> ColumnElement[str]:
    return case(
        (and_(Task.completed_at.is_not(None), Task.completed_at <= Task.due_at), "eingehalten"),
        (Task.completed_at.is_not(None), "verpasst"),
        else_="offen",
    )


def _joined(keys: Sequence[object]) -> str:
    return "|".join(_key(value) for value in keys)


def _key(value: object) -> str:
    if value is None:
        return UNKNOWN
    if isinstance(value, bool):
        return "ja" if value else "nein"
    return str(value)


def _unmeasured_first_referrals(spans: Sequence[Span]) -> Select:
    """Cases opened in the spans whose first referral has no stored working time (referrals from before
    migration 0022): span, risk level, no stored time, opening and first referral, count."""
    start, end, cuts = _instants(spans)
    legacy = select(Referral.case_id).where(Referral.opened_tenths.is_(None))
    index = _span_index(Case.opened_at, cuts, len(spans) - 1)
    return (
        select(
            index, Case.risk_level, literal(None), Case.opened_at, func.min(Referral.created_at), literal(1)
        )
        .join(Referral, Referral.case_id == Case.id)
        .where(_opened(start, end), Case.first_referral_tenths.is_(None), Case.id.in_(legacy))
        .group_by(Case.id, index, Case.risk_level, Case.opened_at)
    )


def _duration(
    office: BusinessCalendar, risk: object, tenths: int | None, opened_at: Any, reached_at: Any
) -> str:
    """``risk level|hours``: working hours from opening, in tenths of an hour; measured here when not stored."""
    if opened_at is not None:  # not stored (a row from before migration 0022)
        tenths = working_tenths(office, opened_at, reached_at)
    return _histogram_key(risk, tenths or 0)


@lru_cache(maxsize=4096)
def _histogram_key(risk: object, tenths: int) -> str:
    return f"{_key(risk)}|{hours_key(tenths)}"
