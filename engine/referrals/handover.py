"""The warm handover e-mail: exactly the facts the person agreed to share, sent through the outbox."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine.bpmn.instance import Instance
from engine.kernel import audit, outbox
from engine.kernel.actor import Actor
from engine.referrals.consent import SHAREABLE, Choice
from engine.store.referral_tables import SupportOffer

# the reply token in the handover's subject: the receiving service's answer finds its referral by it (or by
# In-Reply-To/References naming the handover's Message-ID, whose local part is the outbox key)
REPLY_TOKEN = re.compile(r"\[Lotse R-(\d{1,9})\]")
OUTBOX_KEY = re.compile(r"^referral-(\d{1,9})-handover$")


def handover_key(referral_id: int) -> str:
    """The outbox key (and Message-ID local part) of a referral's handover e-mail."""
    return f"referral-{referral_id}-handover"


def handover_subject(referral_id: int) -> str:
    return f"Warme Übergabe durch die starke Stelle [Lotse R-{referral_id}]"


def referral_of_token(subject: str) -> int | None:
    found = REPLY_TOKEN.search(subject or "")
    return int(found.group(1)) if found else None


def referral_of_message_id(local_part: str) -> int | None:
    found = OUTBOX_KEY.match(local_part)
    return int(found.group(1)) if found else None


def queue_handover(
    session: Session,
    now: datetime,
    actor: Actor,
    case_id: int,
    referral_id: int,
    offer: SupportOffer,
    choice: Choice,
    variables: Mapping[str, Any],
    labels: Mapping[str, Mapping[str, str]],
) -> None:
    """Queue the handover e-mail to the offer's address and audit which facts went to whom."""
    outbox.enqueue(
        session,
        now,
        dedupe_key=handover_key(referral_id),
        kind="referral_handover",
        recipient=offer.email,
        subject=handover_subject(referral_id),
        body=handover_text(offer.name, choice, variables, labels),
        case_id=case_id,
    )
    audit.record(
        session,
        now,
        actor.username,
        "handover_queued",
        case_id,
        f"{offer.key}: {' '.join(choice.facts)}",
    )


def field_labels(instance: Instance) -> dict[str, dict[str, str]]:
    """The option labels of the case's completed forms, by field, for the e-mail's values."""
    labels: dict[str, dict[str, str]] = {}
    for step in instance.completed_steps():
        for field in step.form.fields:
            if field.options:
                labels.setdefault(field.id, {}).update(dict(field.options))
    return labels


def handover_text(
    offer_name: str, choice: Choice, variables: Mapping[str, Any], labels: Mapping[str, Mapping[str, str]]
) -> str:
    """The handover e-mail: exactly the facts the person agreed to share with this recipient, nothing else."""
    lines = []
    for fact in choice.facts:
        if fact == "kontakt":
            value = choice.contact.strip()
        else:
            raw = variables.get(fact)
            items = raw if isinstance(raw, list) else [raw] if raw not in (None, "") else []
            value = ", ".join(labels.get(fact, {}).get(str(item), str(item)) for item in items)
        lines.append(f"- {SHAREABLE[fact][0]}: {value or '(keine Angabe)'}")
    return "\n".join(
        [
            "Guten Tag,",
            "",
            f"die starke Stelle vermittelt mit Einwilligung der betroffenen Person an: {offer_name}.",
            "Die Person hat eingewilligt, dass wir Ihnen Folgendes mitteilen:",
            "",
            *lines,
            "",
            "Weitere Angaben geben wir ohne neue Einwilligung nicht weiter.",
            "Bitte bestätigen Sie kurz den Eingang dieser Übergabe mit einer Antwort auf diese E-Mail",
            "(bitte die Kennung in eckigen Klammern im Betreff stehen lassen).",
            "",
            "Mit freundlichen Grüßen",
            "starke Stelle – Lotsenfunktion",
        ]
    )
