"""The report for a period: every block from snapshots (whole months that have one) or live counts, with
disclosure control applied unless a team lead asks for the internal, unsuppressed figures on screen."""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BusinessCalendar
from engine.statistics.counting import Counts, count_spans
from engine.statistics.disclosure import DEFAULT_THRESHOLD, WITHHELD, group_rare, small, suppress
from engine.statistics.labels import label
from engine.statistics.period import Period
from engine.statistics.snapshots import read_month, taken_months
from engine.statistics.step_names import model_step_names
from engine.store.tables import ProcessVersion

ONE_WAY = (
    ("kontakte", "Kontakte nach Kanal", "Kanal"),
    ("anliegen_themen", "Anfragen nach Art (Nennungen)", "Art"),
    ("anliegen", "Betroffen oder Information/Prävention", "Art"),
    ("land", "Fälle nach Land", "Land"),
    ("amt", "Fälle nach Amt", "Amt"),
    ("kontaktkanal", "Erster Kontakt zur Stelle", "Kanal"),
    ("vorfallarten", "Vorfallarten (Nennungen)", "Vorfallart"),
    ("vorfallkanal", "Wo der Vorfall geschah", "Kanal"),
    ("betroffen", "Wer betroffen ist", "betroffen"),
    ("risikostufe", "Risikostufen", "Stufe"),
    ("vermittlung_warm", "Vermittlungen mit warmer Übergabe", "warm übergeben"),
    ("vermittlung_ergebnis", "Wie Vermittlungen endeten", "Stand"),
    ("strafantrag_verfolgt", "Strafantragsfristen nachgehalten (erfasst im Zeitraum)", "Stand"),
    ("strafantrag_fristende", "Strafantragsfristen mit Fristende im Zeitraum", "Stand"),
    ("eskalationen_schritt", "Eskalationen nach Schritt", "Schritt"),
)
TWO_WAY = (
    ("risiko_entscheidung", "Risikostufe und Abweichung vom Vorschlag", "Stufe", "abweichend"),
    ("vermittlung_kategorie_land", "Vermittlungen nach Kategorie und Land", "Kategorie", "Land"),
    ("fristen_schritt", "Fristen nach Schritt", "Schritt", "Frist"),
)
STEP_FIGURES = frozenset({"eskalationen_schritt", "fristen_schritt"})  # counted by a model's step id
DURATIONS = (
    ("zeit_erster_kontakt", "Zeit bis zur ersten Antwort (Arbeitsstunden)"),
    ("zeit_erste_vermittlung", "Zeit bis zur ersten Vermittlung (Arbeitsstunden)"),
)
METHOD_NOTE = (
    "Geheimhaltung: Keine Zahl unter {t} wird veröffentlicht. Felder mit 1 bis {t_minus} Fällen sind als "
    "„< {t}“ gezeigt. Weitere Felder, aus denen sich eine solche Zahl über Zeilen- oder Spaltensummen "
    "errechnen oder eingrenzen ließe, sind aus Schutzgründen ausgeblendet und mit „•“ markiert (ihr Wert ist 0 "
    "oder mindestens {t}). Nullen werden gezeigt. "
    "Es gibt keine Angabe unterhalb der Länderebene; seltene Ämter (unter {t} Fällen) sind zusammengefasst. "
    "Zeiten sind Arbeitsstunden der Stelle (Mo–Fr 9–16 Uhr ohne Feiertage); Median und P90 nach dem "
    "Rangverfahren, gezeigt nur bei mindestens {t} Fällen. Abgeschlossene Monate stammen aus monatlichen "
    "Momentaufnahmen und bleiben nach Löschung der Fälle unverändert."
)
METHOD_NOTE_EN = (
    "Disclosure control: no number below {t} is published. Cells with 1 to {t_minus} cases are shown as "
    "“< {t}”. Further cells from which such a number could be calculated or narrowed down through row or "
    "column totals are withheld to protect small cells and marked “•” (their value is 0 or at least {t}). "
    "Zeros are shown. There is no figure below the level of the Land; rare office types (fewer than {t} cases) "
    "are grouped. Times are the service's working hours (Mon–Fri 9:00–16:00 without public holidays); median "
    "and P90 by the nearest-rank method, shown only for at least {t} cases. Closed months come from monthly "
    "snapshots and stay unchanged after the cases were deleted."
)


@dataclass
class Block:
    key: str
    title: str
    row_header: str
    columns: list[str]
    rows: list[tuple[str, list[str]]]
    chart: list[int | None] = field(default_factory=list)  # the first column per row, None when hidden


@dataclass
class Report:
    period: Period
    internal: bool
    threshold: int
    sources: list[tuple[str, str]]  # (span, "Momentaufnahme" or "live")
    blocks: list[Block]

    language: str = "de"

    def method_note(self) -> str:
        note = METHOD_NOTE_EN if self.language == "en" else METHOD_NOTE
        return note.format(t=self.threshold, t_minus=self.threshold - 1)

    def block(self, key: str) -> Block:
        return next(block for block in self.blocks if block.key == key)


def gather(
    session: Session, office: BusinessCalendar, period: Period
) -> tuple[list[tuple[str, Counts]], list[str]]:
    """Counts per span (snapshot for whole months that have one, else live) and the source of each."""
    spans = period.spans()
    taken = taken_months(session, [span.month for span in spans if span.month])
    live = [span for span in spans if span.month not in taken]
    counted = iter(count_spans(session, office, live))
    pieces: list[tuple[str, Counts]] = []
    sources: list[str] = []
    for span in spans:
        name = span.month or f"{span.first:%d.%m.}–{span.last:%d.%m.%Y}"
        if span.month in taken:
            pieces.append((name, read_month(session, span.month)))
            sources.append("Momentaufnahme")
        else:
            pieces.append((name, next(counted)))
            sources.append("live")
    return pieces, sources


def build_report(
    session: Session,
    office: BusinessCalendar,
    period: Period,
    internal: bool = False,
    threshold: int = DEFAULT_THRESHOLD,
) -> Report:
    pieces, sources = gather(session, office, period)
    totals: Counts = {}
    for _, counts in pieces:
        for figure, by_key in counts.items():
            totals.setdefault(figure, Counter()).update(by_key)
    limit = 1 if internal else threshold
    blocks = [_trend(pieces, limit)]
    steps = _step_names(session, totals)
    for key, title, header in ONE_WAY:
        counts = dict(totals.get(key, Counter()))
        if key == "amt" and not internal:
            counts = group_rare(counts, threshold, "weitere")
        blocks.append(_one_way(key, title, header, counts, limit, steps))
    for key, title, rows, columns in TWO_WAY:
        blocks.append(_two_way(key, title, rows, columns, totals.get(key, Counter()), limit, steps))
    for key, title in DURATIONS:
        blocks.append(_durations(key, title, totals.get(key, Counter()), limit))
    named = [(name, source) for (name, _), source in zip(pieces, sources, strict=True)]
    return Report(period, internal, threshold, named, blocks)


def _trend(pieces: list[tuple[str, Counts]], limit: int) -> Block:
    """Opened and closed per month; each column is its own table (the sum of both means nothing)."""
    columns = [
        suppress([[sum(counts.get(figure, Counter()).values()) for _, counts in pieces]], limit)
        for figure in ("faelle_eroeffnet", "faelle_abgeschlossen")
    ]
    rows = [(name, [grid.shown(0, i) for grid in columns]) for i, (name, _) in enumerate(pieces)]
    rows.append(("Summe", [grid.shown(0, len(pieces)) for grid in columns]))
    opened = columns[0]
    chart = [None if opened.hidden[0][i] else opened.values[0][i] for i in range(len(pieces))]
    return Block("faelle", "Fälle je Monat", "Monat", ["eröffnet", "abgeschlossen"], rows, chart)


def _step_names(session: Session, totals: Counts) -> dict[str, str]:
    """The deployed models' names of the steps counted by step (a newer version's name wins)."""
    if not any(totals.get(key) for key in STEP_FIGURES):
        return {}
    names: dict[str, str] = {}
    for version_id in session.scalars(select(ProcessVersion.id).order_by(ProcessVersion.id)):
        names.update(model_step_names(session, version_id))
    return names


def _one_way(
    key: str, title: str, header: str, counts: dict[str, int], limit: int, steps: dict[str, str]
) -> Block:
    codes = sorted(counts)
    grid = suppress([[counts[code] for code in codes]], limit)
    names = steps if key in STEP_FIGURES else None
    rows = [(label(code, names), [grid.shown(0, i)]) for i, code in enumerate(codes)]
    rows.append(("Summe", [grid.shown(0, len(codes))]))
    chart = [None if grid.hidden[0][i] else grid.values[0][i] for i in range(len(codes))]
    return Block(key, title, header, ["Anzahl"], rows, chart)


def _two_way(
    key: str,
    title: str,
    row_header: str,
    column_header: str,
    counts: Counter[str],
    limit: int,
    steps: dict[str, str],
) -> Block:
    pairs = [code.split("|", 1) for code in counts]
    row_codes = sorted({pair[0] for pair in pairs})
    column_codes = sorted({pair[1] for pair in pairs if len(pair) == 2})
    cells = [[counts.get(f"{r}|{c}", 0) for c in column_codes] for r in row_codes]
    if not cells:
        return Block(key, title, row_header, [column_header], [("Summe", ["0"])], [])
    grid = suppress(cells, limit)
    width = len(column_codes)
    names = steps if key in STEP_FIGURES else None
    rows = [
        (label(code, names), [grid.shown(i, j) for j in range(width + 1)]) for i, code in enumerate(row_codes)
    ]
    rows.append(("Summe", [grid.shown(len(row_codes), j) for j in range(width + 1)]))
    chart = [None if grid.hidden[i][width] else grid.values[i][width] for i in range(len(row_codes))]
    return Block(
        key, title, f"{row_header} / {column_header}", [*map(label, column_codes), "Summe"], rows, chart
    )


def _durations(key: str, title: str, histogram: Counter[str], limit: int) -> Block:
    by_risk: dict[str, list[tuple[float, int]]] = {}
    for code, count in histogram.items():
        risk, hours = code.split("|", 1)
        by_risk.setdefault(risk, []).append((float(hours), count))
    rows: list[tuple[str, list[str]]] = []
    chart: list[int | None] = []
    for risk in sorted(by_risk):
        values = sorted(by_risk[risk])
        cases = sum(count for _, count in values)
        if cases < limit:
            rows.append((label(risk), [small(limit), WITHHELD, WITHHELD]))
            chart.append(None)
            continue
        median, p90 = rank_percentile(values, 0.5), rank_percentile(values, 0.9)
        rows.append((label(risk), [str(cases), f"{median:.1f}", f"{p90:.1f}"]))
        chart.append(round(median))
    return Block(key, title, "Risikostufe", ["Fälle", "Median", "P90"], rows, chart)


def rank_percentile(values: list[tuple[float, int]], share: float) -> float:
    """The nearest-rank percentile of a sorted histogram (value, count)."""
    rank = max(1, math.ceil(share * sum(count for _, count in values)))
    seen = 0
    for value, count in values:
        seen += count
        if seen >= rank:
            return value
    return values[-1][0]
