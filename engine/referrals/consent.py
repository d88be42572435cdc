"""Referral consent: per recipient, whether a choice may be recorded and which facts may be shared."""

from __future__ import annotations

from dataclasses import dataclass

from engine.directory.vocabulary import Labels
from engine.referrals.proposals import Reason
from engine.store.referral_tables import SupportOffer

CHOICES = ("proposed", "given", "handover")  # what the counsellor picks at Vermittlung
SHAREABLE: dict[str, Labels] = {
    "land": ("Bundesland", "Land"),
    "amt": ("Amt / Funktion", "Office"),
    "vorfallarten": ("Art des Vorfalls", "Incident types"),
    "vorfallkanal": ("Wo bzw. wie geschah der Vorfall", "Where it happened"),
    "risikostufe": ("Risikostufe", "Risk level"),
    "kurzbeschreibung": ("Kurzbeschreibung", "Short description"),
    "kontakt": ("So ist die Person erreichbar", "How to reach the person"),
}


@dataclass(frozen=True)
class Choice:
    """What the counsellor chose for one offer: a status, and for a warm handover the consent."""

    offer_id: int
    status: str  # one of CHOICES
    consent: bool = False
    facts: tuple[str, ...] = ()
    contact: str = ""
    identity_checked: bool = False


def check_choice(choice: Choice, offer: SupportOffer | None) -> Reason | None:
    """Why the choice cannot be recorded (None: it can): consent, shared facts, the service's terms."""
    if offer is None or offer.retired_at is not None:
        return (
            "Diese Stelle steht nicht (mehr) im Verzeichnis.",
            "This service is not (or no longer) in the directory.",
        )
    name = offer.name
    if choice.status not in CHOICES:
        return (f"{name}: unbekannte Auswahl.", f"{name}: unknown choice.")
    if offer.internal_only and choice.status != "proposed" and not choice.identity_checked:
        return (
            f"{name}: nur intern – die Nummer darf nur an Anrufende mit geprüfter Identität gehen.",
            f"{name}: internal only – the number may only go to callers whose identity was checked.",
        )
    if choice.status != "handover":
        return None
    if not offer.warm_handover:
        return (
            f"{name}: eine warme Übergabe ist mit dieser Stelle nicht vereinbart; bitte nur Kontaktdaten weitergeben.",
            f"{name}: no warm handover is agreed with this service; please give the contact details only.",
        )
    if not choice.consent:
        return (
            f"{name}: ohne Einwilligung der Person keine warme Übergabe – dann nur Kontaktdaten weitergeben.",
            f"{name}: no warm handover without the person's consent – give the contact details only.",
        )
    unknown = [fact for fact in choice.facts if fact not in SHAREABLE]
    if unknown or not choice.facts:
        return (
            f"{name}: bitte angeben, welche Angaben weitergegeben werden dürfen.",
            f"{name}: please say which facts may be shared.",
        )
    if "kontakt" in choice.facts and not choice.contact.strip():
        return (
            f"{name}: bitte den Kontaktweg eintragen, den die Person freigegeben hat.",
            f"{name}: please enter how the person agreed to be reached.",
        )
    if len(choice.contact) > 500:
        return (f"{name}: Kontaktweg höchstens 500 Zeichen.", f"{name}: contact at most 500 characters.")
    return None
