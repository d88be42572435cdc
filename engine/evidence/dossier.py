"""The evidence dossier of a case: a generated PDF (never edited) listing every item with its metadata and
SHA-256, the incident summary and the Strafantrag dates. Generating it is audited."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from engine.calendar.business_calendar import BERLIN
from engine.cases.case_file import CaseFile, read_case_file
from engine.evidence.dossier_pdf import DossierPdf
from engine.evidence.items import Evidence, case_evidence
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.strafantrag.periods import offence_label

SUMMARY_FIELDS = ("kurzbeschreibung", "vorfallarten", "vorfallkanal", "schilderung", "amt", "land")


@dataclass(frozen=True)
class Dossier:
    file_name: str
    data: bytes
    items: int


def produce_dossier(
    ctx: EngineContext, actor: Actor, case_id: int, language: str = "de", now: datetime | None = None
) -> Dossier:
    """Checks the need to know (the case view is audited), then lists the evidence and audits the dossier."""
    now = now or ctx.clock.now()
    case = read_case_file(ctx, actor, case_id, now)
    with ctx.unit_of_work() as session:
        items = case_evidence(ctx, session, case_id)
        audit.record(session, now, actor.username, "dossier_generated", case_id, f"{len(items)} items")
        session.commit()
    data = _render(case, items, actor.username, now, language)
    return Dossier(f"beweisdossier-{case.reference}.pdf", data, len(items))


def _render(case: CaseFile, items: list[Evidence], author: str, now: datetime, language: str) -> bytes:
    de = language == "de"
    pdf = DossierPdf(("Beweisdossier " if de else "Evidence dossier ") + case.reference)
    pdf.fact("Fall" if de else "Case", case.reference)
    pdf.fact("Erstellt" if de else "Generated", f"{_when(now)} ({author})")
    pdf.fact("Beweisstücke" if de else "Items", str(len(items)))
    pdf.heading("Vorfall" if de else "Incident")
    summary = _summary(case)
    for label, value in summary:
        pdf.fact(label, value)
    if not summary:
        pdf.line("Keine Angaben." if de else "Nothing recorded.")
    pdf.heading("Strafantrag")
    for offence in case.offences:
        pdf.fact(
            offence_label(offence.offence, language),
            ("Kenntnis der Tat: " if de else "Learned of the offence: ")
            + _day(offence.learned_of_offence)
            + ("; Kenntnis des Täters: " if de else "; learned of the offender: ")
            + _day(offence.learned_of_offender)
            + ("; Frist bis: " if de else "; deadline: ")
            + _day(offence.deadline),
        )
    if not case.offences:
        pdf.line("Keine Strafantragsfristen erfasst." if de else "No Strafantrag periods recorded.")
    pdf.heading("Beweisstücke" if de else "Evidence")
    for number, item in enumerate(items, start=1):
        pdf.subheading(f"{number}. {item.file_name}")
        pdf.fact("SHA-256", item.sha256)
        pdf.fact("Art" if de else "Type", f"{item.media_type}, {item.size} Bytes")
        pdf.fact("Angehängt" if de else "Attached", f"{_when(item.added_at)} ({item.added_by})")
        for label, value in item_facts(item, de):
            pdf.fact(label, value)
    if not items:
        pdf.line("Keine Beweisstücke." if de else "No evidence.")
    return pdf.output()


def _summary(case: CaseFile) -> list[tuple[str, str]]:
    """The latest answer to each summary field across the case's completed tasks."""
    found: dict[str, tuple[str, str]] = {}
    for task in case.closed_tasks:
        for answer in task.answers:
            if answer.field.id in SUMMARY_FIELDS and answer.value not in (None, "", []):
                found[answer.field.id] = (answer.field.label, _answer(answer.field.options, answer.value))
    return [found[name] for name in SUMMARY_FIELDS if name in found]


def _answer(options: tuple[tuple[str, str], ...], value: object) -> str:
    labels = dict(options)
    values = value if isinstance(value, list | tuple) else [value]
    return ", ".join(labels.get(str(item), str(item)) for item in values)


def item_facts(item: Evidence, de: bool) -> list[tuple[str, str]]:
    details = item.details
    facts = [
        ("Plattform" if de else "Platform", details.platform),
        ("URL", details.url),
        ("Profil" if de else "Profile", details.profile),
        ("Veröffentlicht" if de else "Posted", _when(details.posted_at) if details.posted_at else ""),
        ("Gesichert" if de else "Captured", _when(details.captured_at) if details.captured_at else ""),
        ("Beschreibung" if de else "Description", details.description),
    ]
    return [(label, value) for label, value in facts if value]


def _when(value: datetime) -> str:
    return value.astimezone(BERLIN).strftime("%d.%m.%Y %H:%M")


def _day(value: date | None) -> str:
    return value.strftime("%d.%m.%Y") if value else "–"
