"""The directory's vocabulary: the codes of categories, needs, incident types and confidence, with labels."""

from __future__ import annotations

Labels = tuple[str, str]  # German, English

CATEGORIES: dict[str, Labels] = {
    "polizei": ("Polizeiliche Ansprechstelle", "Police contact point"),
    "staatsanwaltschaft": ("Staatsanwaltschaft", "Prosecution"),
    "opferberatung": ("Opferberatung", "Victim counselling"),
    "online": ("Online-Hass / Meldestelle", "Online hate / reporting office"),
    "psychosozial": ("Psychosoziale Unterstützung", "Psychosocial support"),
    "recht": ("Rechtliche Unterstützung", "Legal support"),
    "schutz": ("Schutzmaßnahme", "Protective measure"),
    "praevention": ("Prävention", "Prevention"),
}
NEEDS: dict[str, Labels] = {
    "akut": ("Akute Gefahr", "Acute danger"),
    "sicherheit": ("Sicherheit", "Safety"),
    "anzeige": ("Anzeige / Strafverfolgung", "Criminal complaint"),
    "online_meldung": ("Online-Inhalte melden", "Reporting online content"),
    "beweise": ("Beweissicherung", "Securing evidence"),
    "recht": ("Rechtliche Orientierung", "Legal orientation"),
    "psychosozial": ("Psychosoziale Hilfe", "Psychosocial help"),
    "krise": ("Psychische Krise", "Psychological crisis"),
    "begleitung": ("Beratung und Begleitung Betroffener", "Counselling and accompaniment"),
    "adressschutz": ("Schutz der Wohnadresse", "Protecting the home address"),
    "gremium": ("Beratung für Rat oder Gemeinde", "Advice for a council or municipality"),
    "praevention": ("Prävention", "Prevention"),
    "frauen": ("Angebot für Frauen", "Service for women"),
}
INCIDENT_TYPES: dict[str, Labels] = {
    "beleidigung": ("Beleidigung", "Insult"),
    "ueble_nachrede": ("Üble Nachrede / Verleumdung", "Defamation"),
    "bedrohung": ("Bedrohung", "Threat"),
    "noetigung": ("Nötigung", "Coercion"),
    "nachstellung": ("Nachstellung / Stalking", "Stalking"),
    "volksverhetzung": ("Volksverhetzung", "Incitement to hatred"),
    "doxxing": ("Doxxing", "Doxxing"),
    "sexualisiert": ("Sexuelle Belästigung / sexualisierte Gewalt", "Sexual harassment / violence"),
    "sachbeschaedigung_oeffentlich": ("Sachbeschädigung (öffentlich)", "Property damage (public)"),
    "sachbeschaedigung_privat": ("Sachbeschädigung (privat)", "Property damage (private)"),
    "koerperverletzung": ("Körperverletzung / tätlicher Angriff", "Physical attack"),
    "stoerung_sitzung": ("Störung von Sitzungen", "Disruption of meetings"),
    "anfeindung": ("Anfeindung unterhalb der Strafbarkeit", "Hostility below the criminal threshold"),
    "kein_vorfall": ("Kein Vorfall (Information, Prävention)", "No incident (information, prevention)"),
}
CONFIDENCE: dict[str, Labels] = {
    "H": ("hoch – mehrere amtliche Quellen", "high – several official sources"),
    "M": ("mittel – eine glaubwürdige Quelle", "medium – one credible source"),
    "L": ("niedrig – schwache Quelle", "low – weak source"),
}
CONFIDENCE_WORDS: dict[str, Labels] = {  # short, for lists
    "H": ("hoch", "high"),
    "M": ("mittel", "medium"),
    "L": ("niedrig", "low"),
}
FIELD_LABELS: dict[
    str, Labels
] = {  # the attributes of an entry, as the edit form and the change log name them
    "key": ("Kürzel", "Key"),
    "name": ("Name", "Name"),
    "organisation": ("Träger", "Organisation"),
    "lands": ("Geltungsbereich", "Scope"),
    "category": ("Kategorie", "Category"),
    "incident_types": ("Vorfallarten", "Incident types"),
    "needs": ("Bedarfe", "Needs"),
    "phone": ("Telefon", "Phone"),
    "email": ("E-Mail", "E-mail"),
    "web": ("Website", "Website"),
    "form_url": ("Online-Formular", "Online form"),
    "opening_hours": ("Erreichbarkeit", "Opening hours"),
    "languages": ("Sprachen", "Languages"),
    "warm_handover": ("Warme Übergabe möglich", "Warm handover possible"),
    "internal_only": ("Nur intern", "Internal only"),
    "source_url": ("Quelle (Adresse)", "Source (address)"),
    "last_verified": ("Zuletzt geprüft", "Last verified"),
    "confidence": ("Verlässlichkeit", "Confidence"),
    "verify": ("Zu prüfen", "To be checked"),
    "notes": ("Notizen", "Notes"),
    "retired": ("Außer Betrieb", "Retired"),
}
CHANGE_ACTIONS: dict[str, Labels] = {  # what happened to an entry, in its change log
    "created": ("angelegt", "created"),
    "changed": ("geändert", "changed"),
    "imported": ("per CSV-Import geändert", "changed by CSV import"),
    "verified": ("als geprüft vermerkt", "marked as verified"),
    "retired": ("zurückgezogen", "retired"),
    "seed": ("aus dem Grundbestand angelegt", "created from the seed data"),
}


def field_label(name: str, language: str) -> str:
    """An entry's attribute as people call it; an unknown one (a CSV column) as it is."""
    labels = FIELD_LABELS.get(name)
    return (labels[0] if language == "de" else labels[1]) if labels else name
