"""The inbox's fixed texts, translated and escaped once per language rather than once per use."""

from __future__ import annotations

from flask_babel import lazy_gettext
from markupsafe import Markup, escape

# Every fixed text of the list, translated once per language and process instead of once per use.
LABELS = {
    "mine": lazy_gettext("Meine Aufgaben"),
    "groups": lazy_gettext("Meine Gruppen"),
    "overdue": lazy_gettext("Überfällig"),
    "all": lazy_gettext("Alle offenen"),
    "lists": lazy_gettext("Aufgabenlisten"),
    "risk": lazy_gettext("Risikostufe"),
    "any": lazy_gettext("alle"),
    "step": lazy_gettext("Schritt"),
    "steps_work": lazy_gettext("Schritte der Beratung"),
    "steps_escalation": lazy_gettext("Eskalationen (Teamleitung)"),
    "land": lazy_gettext("Land"),
    "due": lazy_gettext("Fällig"),
    "due_overdue": lazy_gettext("überfällig"),
    "due_today": lazy_gettext("bis heute"),
    "due_3days": lazy_gettext("in den nächsten 3 Arbeitstagen"),
    "due_none": lazy_gettext("ohne Frist"),
    "sort": lazy_gettext("Sortierung"),
    "sort_due": lazy_gettext("nach Fälligkeit"),
    "sort_priority": lazy_gettext("nach Priorität"),
    "apply": lazy_gettext("Anwenden"),
    "busy": lazy_gettext("lädt …"),
    "case": lazy_gettext("Fall"),
    "assignee": lazy_gettext("Zuständig"),
    "actions": lazy_gettext("Aktionen"),
    "claim": lazy_gettext("Übernehmen"),
    "release": lazy_gettext("Freigeben"),
    "group": lazy_gettext("Gruppe"),
    "assign_to": lazy_gettext("Zuweisen an"),
    "assign": lazy_gettext("Zuweisen"),
    "priority": lazy_gettext("Priorität"),
    "escalated": lazy_gettext("eskaliert"),
    "open": lazy_gettext("offen"),
    "pages": lazy_gettext("Seiten"),
    "previous": lazy_gettext("« zurück"),
    "next": lazy_gettext("weiter »"),
    "empty_mine": lazy_gettext(
        "Sie haben keine übernommenen Aufgaben. Unter „Meine Gruppen“ warten Aufgaben, die Sie übernehmen können."
    ),
    "empty": lazy_gettext("Keine Aufgaben für diese Auswahl."),
}
_translated: dict[str, dict[str, str]] = {}
_escaped: dict[str, dict[str, Markup]] = {}


def labels(lang: str) -> dict[str, str]:
    """The list's fixed texts in one language (the catalogues do not change while a process runs)."""
    found = _translated.get(lang)
    if found is None:
        found = _translated[lang] = {key: str(text) for key, text in LABELS.items()}
    return found


def escaped_labels(lang: str) -> dict[str, Markup]:
    """``labels`` escaped for HTML, also once per language."""
    found = _escaped.get(lang)
    if found is None:
        found = _escaped[lang] = {key: escape(text) for key, text in labels(lang).items()}
    return found
