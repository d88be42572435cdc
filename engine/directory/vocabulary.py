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
