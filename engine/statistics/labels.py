"""German labels for the codes counted (the models' own labels where the code is one of theirs)."""

from __future__ import annotations

LABELS: dict[str, str] = {
    "unbekannt": "nicht erfasst",
    "information": "Information/Prävention",
    "beratung": "Beratung",
    "sicherheit": "Sicherheit und Schutz",
    "recht": "Rechtliche Fragen",
    "psychosozial": "Psychosoziale Unterstützung",
    "selbst": "die Person selbst",
    "familie": "Angehörige",
    "mitarbeitende": "Mitarbeitende",
    "nicht_betroffen": "nicht betroffen",
    "ja": "ja",
    "nein": "nein",
    "eingehalten": "eingehalten",
    "verpasst": "verpasst",
    "offen": "offen",
    "gestellt": "gestellt",
    "verzichtet": "verzichtet",
    "proposed": "vorgeschlagen",
    "given": "Kontaktdaten gegeben",
    "handed_over": "warm übergeben",
    "reached": "erreicht",
    "helped": "geholfen",
    "not_helped": "nicht geholfen",
    "weitere": "weitere Ämter (zusammengefasst)",
    "anruf": "Anruf",
    "telefon": "Telefon",
    "email": "E-Mail",
    "video": "Video",
    "brief": "Brief",
    "treffen": "Treffen",
    "portal": "Portal",
    "vermittelt": "vermittelt durch Dritte",
}


def label(code: str) -> str:
    return LABELS.get(code, code.replace("_", " "))
