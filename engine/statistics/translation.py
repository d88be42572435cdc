"""The report in English: titles, headers, labels and the method note (German is the source language).

Counts, marks ("< 5", "•") and codes without a label stay as they are; the method note is chosen by the
report's language (``Report.method_note``)."""

from __future__ import annotations

from dataclasses import replace

from engine.statistics.labels import REFERRAL_LABELS
from engine.statistics.report import Block, Report

ENGLISH: dict[str, str] = {
    # block titles
    "Fälle je Monat": "Cases per month",
    "Kontakte nach Kanal": "Contacts by channel",
    "Anfragen nach Art (Nennungen)": "Requests by type (mentions)",
    "Betroffen oder Information/Prävention": "Affected or information/prevention",
    "Fälle nach Land": "Cases by Land",
    "Fälle nach Amt": "Cases by office type",
    "Erster Kontakt zur Stelle": "First contact with the service",
    "Vorfallarten (Nennungen)": "Incident types (mentions)",
    "Wo der Vorfall geschah": "Where the incident happened",
    "Wer betroffen ist": "Who is affected",
    "Risikostufen": "Risk levels",
    "Vermittlungen mit warmer Übergabe": "Referrals with a warm handover",
    "Wie Vermittlungen endeten": "How referrals ended",
    "Strafantragsfristen nachgehalten (erfasst im Zeitraum)": "Criminal complaint periods followed (recorded in the period)",
    "Strafantragsfristen mit Fristende im Zeitraum": "Criminal complaint periods ending in the period",
    "Eskalationen nach Schritt": "Escalations by step",
    "Risikostufe und Abweichung vom Vorschlag": "Risk level and overrides of the proposal",
    "Vermittlungen nach Kategorie und Land": "Referrals by category and Land",
    "Fristen nach Schritt": "Deadlines by step",
    "Zeit bis zur ersten Antwort (Arbeitsstunden)": "Time to first reply (working hours)",
    "Zeit bis zur ersten Vermittlung (Arbeitsstunden)": "Time to first referral (working hours)",
    # headers and columns
    "Monat": "Month",
    "eröffnet": "opened",
    "abgeschlossen": "closed",
    "Anzahl": "Number",
    "Summe": "Total",
    "Kanal": "Channel",
    "Art": "Type",
    "Land": "Land",
    "Amt": "Office type",
    "Vorfallart": "Incident type",
    "betroffen": "affected",
    "Stufe": "Level",
    "warm übergeben": "warm handover",
    "Stand": "Status",
    "Schritt": "Step",
    "abweichend": "overridden",
    "Kategorie": "Category",
    "Frist": "Deadline",
    "Risikostufe": "Risk level",
    "Fälle": "Cases",
    "Median": "Median",
    "P90": "P90",
    # labels of codes (engine.statistics.labels)
    "nicht erfasst": "not recorded",
    "Information/Prävention": "information/prevention",
    "Beratung": "counselling",
    "Sicherheit und Schutz": "security and protection",
    "Rechtliche Fragen": "legal questions",
    "Psychosoziale Unterstützung": "psychosocial support",
    "die Person selbst": "the person themself",
    "Angehörige": "family",
    "Mitarbeitende": "staff",
    "nicht betroffen": "not affected",
    "ja": "yes",
    "nein": "no",
    "eingehalten": "met",
    "verpasst": "missed",
    "offen": "open",
    "gestellt": "filed",
    "verzichtet": "waived",
    "vorgeschlagen": "proposed",
    "Kontaktdaten gegeben": "contact details given",
    "erreicht": "reached",
    "geholfen": "helped",
    "nicht geholfen": "not helped",
    "weitere Ämter (zusammengefasst)": "other office types (grouped)",
    "Anruf": "call",
    "Telefon": "phone",
    "E-Mail": "e-mail",
    "Brief": "letter",
    "Treffen": "meeting",
    "vermittelt durch Dritte": "referred by others",
}


for _german, _english in REFERRAL_LABELS.values():
    ENGLISH.setdefault(_german, _english)


def english(text: str) -> str:
    return ENGLISH.get(text, text)


def in_language(report: Report, language: str) -> Report:
    """``report`` with its words in ``language`` ("de" as built, "en" translated)."""
    if language != "en":
        return report
    return replace(report, blocks=[_block(block) for block in report.blocks], language="en")


def _block(block: Block) -> Block:
    return replace(
        block,
        title=english(block.title),
        row_header=" / ".join(english(part) for part in block.row_header.split(" / ")),
        columns=[english(column) for column in block.columns],
        rows=[(english(name), cells) for name, cells in block.rows],
    )
