"""Art. 15 GDPR: everything Lotse holds about one case, for the person, as a ZIP with a readable HTML
summary, the machine-readable JSON and the evidence files. Only team leads produce it; it is audited."""

from __future__ import annotations

import dataclasses
import html
import json
import zipfile
from datetime import date, datetime
from io import BytesIO
from typing import Any

from sqlalchemy import select

from engine.cases.case_file import read_case_file
from engine.evidence.items import case_evidence, evidence_binding
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import NotPermitted
from engine.kernel.message_content import open_content
from engine.person.panel import read_person_panel
from engine.referrals.consent_records import case_consents
from engine.store.evidence_tables import EvidenceItem
from engine.store.tables import AuditEvent, OutboxMessage


@dataclasses.dataclass(frozen=True)
class CaseExport:
    file_name: str
    data: bytes
    record: dict[str, Any]


def export_case(ctx: EngineContext, actor: Actor, case_id: int, now: datetime | None = None) -> CaseExport:
    if not actor.is_team_lead:
        raise NotPermitted("export")
    now = now or ctx.clock.now()
    case = read_case_file(ctx, actor, case_id, now)
    panel = read_person_panel(ctx, actor, case_id, now)
    with ctx.unit_of_work() as session:
        items = case_evidence(ctx, session, case_id)
        files = {
            row.id: ctx.vault.open(row.content, evidence_binding(case_id))
            for row in session.scalars(
                select(EvidenceItem).where(EvidenceItem.case_id == case_id, EvidenceItem.content.is_not(None))
            )
        }
        consents = case_consents(session, case_id)
        looked = session.execute(
            select(AuditEvent.at, AuditEvent.actor, AuditEvent.action)
            .where(AuditEvent.case_id == case_id)
            .order_by(AuditEvent.at, AuditEvent.id)
        ).all()
        shared = [_message(ctx, message) for message in session.scalars(
            select(OutboxMessage).where(OutboxMessage.case_id == case_id).order_by(OutboxMessage.id)
        )]  # fmt: skip
        audit.record(session, now, actor.username, "exported", case_id, f"art15 {len(items)} items")
        session.commit()
    record = {
        "exported_at": now,
        "exported_by": actor.username,
        "case": {
            "reference": case.reference,
            "status": case.status,
            "risk_level": case.risk_level,
            "facts": case.facts,
            "opened_at": case.opened_at,
            "closed_at": case.closed_at,
            "legal_hold": case.legal_hold,
            "process": case.process,
        },
        "tasks": [_task(task) for task in case.tasks],
        "assessments": [_assessment(item) for item in case.assessments],
        "strafantrag": case.offences,
        "notes": case.notes,
        "person": {"facts": panel.person, "contact_routes": panel.routes, "contacts": panel.contacts},
        "referrals": case.referrals,
        "evidence": [{**_plain(item), "file": f"beweise/{item.id}-{item.file_name}"} for item in items],
        "consents": consents,
        "messages": shared,
        "audit": [{"at": row.at, "who": row.actor, "action": row.action} for row in looked],
    }
    plain = _plain(record)
    out = BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("fall.json", json.dumps(plain, ensure_ascii=False, indent=2))
        archive.writestr("uebersicht.html", _summary_html(plain))
        for item in items:
            archive.writestr(f"beweise/{item.id}-{item.file_name}", files[item.id])
    return CaseExport(f"auskunft-{case.reference}.zip", out.getvalue(), plain)


def _task(task: Any) -> dict[str, Any]:
    answers = {answer.field.label: answer.value for answer in task.answers}
    return {**{key: value for key, value in _plain(task).items() if key != "answers"}, "answers": answers}


def _assessment(item: Any) -> dict[str, Any]:
    inputs = {answer.field.label: answer.value for answer in item.inputs}
    return {**{key: value for key, value in _plain(item).items() if key != "inputs"}, "inputs": inputs}


def _message(ctx: EngineContext, message: OutboxMessage) -> dict[str, Any]:
    """What went (or goes) to whom; a delivered message keeps no content, so none can be shown."""
    content = (
        open_content(ctx.vault, message.id, message.recipient, message.sealed) if message.sealed else None
    )
    return {
        "kind": message.kind,
        "recipient": message.recipient,
        "status": message.status,
        "created_at": message.created_at,
        "subject": content.subject if content else None,
        "body": content.body if content else None,
    }


def _plain(value: Any) -> Any:
    """Dataclasses, tuples, dates and sets as JSON values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: _plain(getattr(value, field.name)) for field in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_plain(item) for item in value]
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, bytes):
        return None
    return value


def _summary_html(record: dict[str, Any]) -> str:
    """A plain, readable page of the same record (no script, no outside resources)."""
    parts = [
        "<!doctype html><html lang='de'><head><meta charset='utf-8'>",
        f"<title>Auskunft {html.escape(record['case']['reference'] or '')}</title></head><body>",
        f"<h1>Auskunft nach Art. 15 DSGVO – Fall {html.escape(record['case']['reference'] or '')}</h1>",
    ]
    for section, value in record.items():
        parts.append(f"<h2>{html.escape(section)}</h2>")
        parts.append(_html_value(value))
    parts.append("</body></html>")
    return "\n".join(parts)


def _html_value(value: Any) -> str:
    if isinstance(value, dict):
        rows = "".join(f"<dt>{html.escape(str(k))}</dt><dd>{_html_value(v)}</dd>" for k, v in value.items())
        return f"<dl>{rows}</dl>"
    if isinstance(value, list):
        if not value:
            return "<p>–</p>"
        return "<ol>" + "".join(f"<li>{_html_value(item)}</li>" for item in value) + "</ol>"
    return html.escape("–" if value in (None, "") else str(value))
