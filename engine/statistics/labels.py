"""German labels for the codes counted (the models' own labels where the code is one of theirs)."""

from __future__ import annotations

from collections.abc import Mapping

from engine.directory.vocabulary import CATEGORIES

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


# where cases were referred: the directory's categories and the nationwide services asked by name
REFERRAL_LABELS: dict[str, tuple[str, str]] = {
    **CATEGORIES,
    "hateaid": ("HateAid", "HateAid"),
    "polizei_notruf": ("Polizei-Notruf 110", "Police emergency 110"),
    "hilfetelefon_frauen": ("Hilfetelefon Gewalt gegen Frauen", "Helpline violence against women"),
    "weisser_ring": ("WEISSER RING", "WEISSER RING"),
    "mobile_beratung": ("Mobile Beratung", "Mobile counselling"),
}
for _code, (_german, _english) in REFERRAL_LABELS.items():
    LABELS.setdefault(_code, _german)


def label(code: str, names: Mapping[str, str] | None = None) -> str:
    """The German label of a counted code: ``names`` first (a model's step names), then Lotse's own."""
    if names and code in names:
        return names[code]
    return LABELS.get(code, code.replace("_", " "))
