"""Sending the evidence dossier to the police, HateAid or a Meldestelle: only while the person's consent
for that recipient stands, through the outbox (after commit), audited as a consented handover.

The outbox carries text, not files: the message lists every item with its metadata and SHA-256 so the
recipient can match the files the person or the service hands over on an agreed secure way.
"""

from __future__ import annotations

from datetime import datetime

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select

from engine.cases.need_to_know import require_case_access
from engine.evidence.dossier import item_facts
from engine.evidence.items import case_evidence
from engine.kernel import audit, outbox
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.referrals.consent_records import RECIPIENTS, consent_stands
from engine.store.tables import Case


class DossierNotSent(DomainError):
    code = "dossier_not_sent"


def send_dossier(
    ctx: EngineContext, actor: Actor, case_id: int, recipient: str, address: str, now: datetime | None = None
) -> None:
    if recipient not in RECIPIENTS:
        raise DossierNotSent(
            "Bitte wählen Sie den Empfänger.", "Please choose the recipient.", field="recipient"
        )
    try:
        address = validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        raise DossierNotSent(
            "Bitte geben Sie eine gültige E-Mail-Adresse des Empfängers an.",
            "Please give a valid e-mail address of the recipient.",
            field="address",
        ) from None
    now = now or ctx.clock.now()
    name = RECIPIENTS[recipient][0]
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        if not consent_stands(session, case_id, "dossier", recipient):
            raise DossierNotSent(
                f"Ohne Einwilligung der Person in die Weitergabe des Dossiers an {name} wird nichts gesendet. "
                "Bitte erst die Einwilligung erfassen.",
                f"Nothing is sent without the person's consent to give the dossier to {RECIPIENTS[recipient][1]}. "
                "Please record the consent first.",
                field="recipient",
            )
        reference = session.scalar(select(Case.reference).where(Case.id == case_id))
        items = case_evidence(ctx, session, case_id)
        outbox.enqueue(
            session,
            now,
            dedupe_key=f"dossier-{case_id}-{recipient}-{now.isoformat()}",
            kind="dossier_handover",
            recipient=address,
            subject=f"Beweisdossier {reference} (mit Einwilligung der betroffenen Person)",
            body=_body(name, reference or "", items),
            case_id=case_id,
        )
        audit.record(
            session, now, actor.username, "dossier_sent", case_id, f"{recipient}: {len(items)} items"
        )
        session.commit()


def _body(name: str, reference: str, items: list) -> str:
    lines = [
        "Guten Tag,",
        "",
        f"mit Einwilligung der betroffenen Person übermitteln wir {name} das Beweisdossier zu {reference}.",
        "Die Dateien erhalten Sie auf dem vereinbarten sicheren Weg; ihre SHA-256-Werte stehen hier.",
        "",
    ]
    for number, item in enumerate(items, start=1):
        lines.append(f"{number}. {item.file_name} ({item.media_type}, {item.size} Bytes)")
        lines.append(f"   SHA-256: {item.sha256}")
        lines.extend(f"   {label}: {value}" for label, value in item_facts(item, True))
    return "\n".join(lines)
