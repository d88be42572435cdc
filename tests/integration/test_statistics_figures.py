"""Every statistics figure on a hand-built data set with known answers (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select, update

from engine.kernel.context import EngineContext
from engine.statistics.counting import count_span, count_spans
from engine.statistics.durations import working_tenths
from engine.statistics.period import month, month_of
from engine.statistics.report import build_report
from engine.store.referral_tables import Referral
from engine.store.tables import Case
from tests.integration import statistics_data

MARCH = {
    "faelle_eroeffnet": {"": 9},
    "faelle_abgeschlossen": {"": 2},
    "kontakte": {"anruf": 5, "email": 2},
    "anliegen": {"beratung": 8, "information": 1},
    "anliegen_themen": {"sicherheit": 6, "recht": 4, "psychosozial": 2, "information": 1},
    "betroffen": {"selbst": 6, "familie": 2, "nicht_betroffen": 1},
    "land": {"NW": 7, "HB": 2},
    "amt": {"buergermeister_hauptamt": 6, "kandidat": 2, "rat": 1},
    "kontaktkanal": {"telefon": 7, "email": 2},
    "vorfallkanal": {"social_media": 6, "email": 2, "unbekannt": 1},
    "vorfallarten": {"beleidigung": 8, "bedrohung": 6, "kein_vorfall": 1},
    "risikostufe": {"HOCH": 6, "NIEDRIG": 2, "INFO": 1},
    "risiko_entscheidung": {"HOCH|ja": 2, "HOCH|nein": 4},
    "vermittlung_kategorie_land": {"polizei|NW": 6, "opferberatung|NW": 1},
    "vermittlung_warm": {"ja": 3, "nein": 4},
    "vermittlung_ergebnis": {"helped": 4, "reached": 2, "not_helped": 1},
    "strafantrag_verfolgt": {"gestellt": 2, "offen": 1},
    "strafantrag_fristende": {"gestellt": 1},
    "fristen_schritt": {"vermittlung|eingehalten": 5, "vermittlung|verpasst": 1},
    "eskalationen_schritt": {"eskalation_vermittlung": 1},
    "zeit_erste_vermittlung": {f"HOCH|{h:.1f}": 1 for h in (1, 2, 3, 4, 5, 7)},
    "zeit_erster_kontakt": {"NIEDRIG|0.5": 2},
}


@pytest.fixture
def data(ctx: EngineContext) -> EngineContext:
    with ctx.unit_of_work() as session:
        statistics_data.build(session)
        session.commit()
    return ctx


def test_each_figure_of_march_has_its_known_count(data: EngineContext) -> None:
    with data.unit_of_work(writes=False) as session:
        counts = count_span(session, data.calendar, month_of("2026-03"))
    assert {figure: dict(by_key) for figure, by_key in counts.items() if by_key} == MARCH


def test_durations_stored_when_they_happened_count_the_same(data: EngineContext) -> None:
    """Rows that carry their working time (stored at the first reply and at each referral) give the figures
    the calendar gives for rows without it."""
    with data.unit_of_work() as session:
        for case in session.scalars(select(Case).where(Case.first_contact_at.is_not(None))):
            case.first_contact_tenths = working_tenths(data.calendar, case.opened_at, case.first_contact_at)
        for referral, opened_at in session.execute(select(Referral, Case.opened_at).join(Case)):
            referral.opened_tenths = working_tenths(data.calendar, opened_at, referral.created_at)
        first = select(Referral.case_id, func.min(Referral.created_at)).group_by(Referral.case_id)
        for case_id, reached_at in session.execute(first):
            case = session.get(Case, case_id)
            case.first_referral_tenths = working_tenths(data.calendar, case.opened_at, reached_at)
        session.commit()
    with data.unit_of_work(writes=False) as session:
        counts = count_span(session, data.calendar, month_of("2026-03"))
    assert dict(counts["zeit_erste_vermittlung"]) == MARCH["zeit_erste_vermittlung"]
    assert dict(counts["zeit_erster_kontakt"]) == MARCH["zeit_erster_kontakt"]
    with data.unit_of_work() as session:  # the stored number is what is counted, not the calendar's
        session.execute(update(Case).where(Case.first_contact_tenths == 5).values(first_contact_tenths=12))
        session.commit()
    with data.unit_of_work(writes=False) as session:
        counts = count_span(session, data.calendar, month_of("2026-03"))
    assert dict(counts["zeit_erster_kontakt"]) == {"NIEDRIG|1.2": 2}


def test_spans_counted_together_keep_their_own_rows(data: EngineContext) -> None:
    """February and April counted in one go (March, between them, is not asked for) hold none of March."""
    with data.unit_of_work(writes=False) as session:
        february, april = count_spans(session, data.calendar, [month_of("2026-02"), month_of("2026-04")])
        (march,) = count_spans(session, data.calendar, [month_of("2026-03")])
    assert february["faelle_eroeffnet"] == {"": 1} and february["kontakte"] == {"anruf": 1}
    # April holds only the Strafantrag deadline that ends in it (6 April)
    assert {figure: dict(by_key) for figure, by_key in april.items() if by_key} == {
        "strafantrag_fristende": {"gestellt": 1}
    }
    assert {figure: dict(by_key) for figure, by_key in march.items() if by_key} == MARCH


def test_february_counts_only_its_own_case_and_contact(data: EngineContext) -> None:
    with data.unit_of_work(writes=False) as session:
        counts = count_span(session, data.calendar, month_of("2026-02"))
    assert counts["faelle_eroeffnet"] == {"": 1}
    assert counts["kontakte"] == {"anruf": 1}
    assert sum(counts["faelle_abgeschlossen"].values()) == 0


def test_published_report_hides_small_cells_and_their_complements(data: EngineContext) -> None:
    with data.unit_of_work(writes=False) as session:
        report = build_report(session, data.calendar, month(2026, 3))
    # HB (2) is small; NW (7) is withheld with it, else 9 - 7 would give HB away
    assert report.block("land").rows == [("HB", ["< 5"]), ("NW", ["•"]), ("Summe", ["9"])]
    # rare office types are grouped first (kandidat 2 + rat 1 = 3), still below 5: hidden with its complement
    assert report.block("amt").rows == [
        ("buergermeister hauptamt", ["•"]),
        ("weitere Ämter (zusammengefasst)", ["< 5"]),
        ("Summe", ["9"]),
    ]
    assert report.block("zeit_erste_vermittlung").rows == [("HOCH", ["6", "3.0", "7.0"])]
    assert report.block("zeit_erster_kontakt").rows == [("NIEDRIG", ["< 5", "•", "•"])]
    assert report.block("faelle").rows == [("2026-03", ["9", "< 5"]), ("Summe", ["9", "< 5"])]
    assert report.sources == [("2026-03", "live")]


def test_internal_report_shows_every_count(data: EngineContext) -> None:
    with data.unit_of_work(writes=False) as session:
        report = build_report(session, data.calendar, month(2026, 3), internal=True)
    assert report.block("land").rows == [("HB", ["2"]), ("NW", ["7"]), ("Summe", ["9"])]
    assert report.block("zeit_erster_kontakt").rows == [("NIEDRIG", ["2", "0.5", "0.5"])]
    assert report.block("vermittlung_kategorie_land").rows == [
        ("Opferberatung", ["1", "1"]),
        ("Polizeiliche Ansprechstelle", ["6", "6"]),
        ("Summe", ["7", "7"]),
    ]


def test_steps_are_named_as_the_deployed_model_names_them(data: EngineContext) -> None:
    from engine.processes.deployment import deploy_process
    from engine.statistics.translation import in_language
    from tests.conftest import shipped_models

    bpmn, dmn = shipped_models()
    deploy_process(data, "test", bpmn, dmn)
    with data.unit_of_work(writes=False) as session:
        report = build_report(session, data.calendar, month(2026, 3), internal=True)
    steps = [row[0] for row in report.block("fristen_schritt").rows]
    escalations = [row[0] for row in report.block("eskalationen_schritt").rows]
    assert steps[0] == "Vermitteln (Lotsenfunktion)"  # the model's name, not the element id
    assert escalations[0] == "Eskalation prüfen: Vermitteln (Lotsenfunktion) überfällig"  # a declared step
    english = in_language(report, "en")
    assert [row[0] for row in english.block("vermittlung_kategorie_land").rows][:2] == [
        "Victim counselling",
        "Police contact point",
    ]
