"""Attaching evidence to a case, listing it on the case page, and handing out a file (audited)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.evidence.previews import thumbnail
from engine.evidence.screening import EvidenceRefused, Screened, screen
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import NotFound
from engine.store.evidence_tables import EvidenceItem

MAX_FIELD_CHARS = 500
MAX_DESCRIPTION_CHARS = 5000


@dataclass(frozen=True)
class EvidenceDetails:
    """What the counsellor notes about a piece of evidence (all optional except what the file gives)."""

    platform: str = ""
    url: str = ""
    profile: str = ""
    posted_at: datetime | None = None
    captured_at: datetime | None = None
    description: str = ""


@dataclass(frozen=True)
class Evidence:
    id: int
    case_id: int
    added_at: datetime
    added_by: str
    media_type: str
    size: int
    file_name: str
    sha256: str
    details: EvidenceDetails
    has_preview: bool
    source: str = ""  # E-Mail or Portal for a message's attachment, else empty (uploaded on the case page)


@dataclass(frozen=True)
class EvidenceFile:
    file_name: str
    media_type: str
    data: bytes


def evidence_binding(case_id: int) -> bytes:
    return f"evidence:{case_id}".encode()


def store_item(
    ctx: EngineContext,
    session: Session,
    case_id: int,
    added: tuple[datetime, str],
    file: tuple[str, bytes],
    screened: Screened,
    preview: bytes | None,
    details: dict[str, Any],
) -> int:
    """Seal a screened file (name and content), its thumbnail and its facts (the plain file name, the
    SHA-256, then ``details``) as an item of the case; ``added`` is when and by whom."""
    file_name, data = file
    facts = {
        "file_name": _plain_name(file_name, screened.extension),
        "sha256": hashlib.sha256(data).hexdigest(),
        **details,
    }
    binding = evidence_binding(case_id)
    return int(
        session.execute(
            insert(EvidenceItem).values(
                case_id=case_id,
                added_at=added[0],
                added_by=added[1],
                media_type=screened.media_type,
                size=len(data),
                content=ctx.vault.seal(data, binding),
                preview=ctx.vault.seal(preview, binding) if preview else None,
                details=ctx.vault.seal(json.dumps(facts).encode(), binding),
            )
        ).inserted_primary_key[0]
    )


def attach_evidence(
    ctx: EngineContext,
    actor: Actor,
    case_id: int,
    file_name: str,
    data: bytes,
    details: EvidenceDetails,
    now: datetime | None = None,
) -> int:
    """Screen, hash and seal the file with its details; nothing is stored when anything is refused."""
    details = _checked(details)
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        screened = screen(data)
        preview = thumbnail(data) if screened.is_image else None
        item_id = store_item(
            ctx,
            session,
            case_id,
            (now, actor.username),
            (file_name, data),
            screened,
            preview,
            _details_json(details),
        )
        audit.record(session, now, actor.username, "evidence_added", case_id, f"evidence {item_id}")
        session.commit()
    return int(item_id)


def case_evidence(ctx: EngineContext, session: Session, case_id: int) -> list[Evidence]:
    """Every stored item of a case, oldest first (the caller has checked the need to know)."""
    rows = session.execute(
        select(EvidenceItem)
        .where(EvidenceItem.case_id == case_id, EvidenceItem.details.is_not(None))
        .order_by(EvidenceItem.added_at, EvidenceItem.id)
    ).scalars()
    return [_evidence(ctx, row) for row in rows]


def list_evidence(ctx: EngineContext, actor: Actor, case_id: int) -> list[Evidence]:
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        return case_evidence(ctx, session, case_id)


def evidence_file(
    ctx: EngineContext, actor: Actor, case_id: int, item_id: int, now: datetime | None = None
) -> EvidenceFile:
    """The original file, for download; each download is audited."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        row = _row(session, case_id, item_id)
        binding = evidence_binding(case_id)
        facts = json.loads(ctx.vault.open(row.details, binding))
        data = ctx.vault.open(row.content, binding)
        audit.record(session, now, actor.username, "evidence_downloaded", case_id, f"evidence {item_id}")
        session.commit()
    return EvidenceFile(facts["file_name"], row.media_type, data)


def evidence_preview(ctx: EngineContext, actor: Actor, case_id: int, item_id: int) -> bytes:
    """The re-encoded PNG thumbnail shown on the case page (the case view itself is audited)."""
    with ctx.unit_of_work(writes=False) as session:
        require_case_access(session, actor, case_id)
        row = _row(session, case_id, item_id)
        if row.preview is None:
            raise NotFound("Vorschau/Preview", item_id)
        return ctx.vault.open(row.preview, evidence_binding(case_id))


def _row(session: Session, case_id: int, item_id: int) -> EvidenceItem:
    row = session.scalar(
        select(EvidenceItem).where(EvidenceItem.id == item_id, EvidenceItem.case_id == case_id)
    )
    if row is None or row.content is None or row.details is None:
        raise NotFound("Beweisstück/Evidence item", item_id)
    return row


def _evidence(ctx: EngineContext, row: EvidenceItem) -> Evidence:
    facts = json.loads(ctx.vault.open(row.details, evidence_binding(row.case_id)))
    details = EvidenceDetails(
        platform=facts.get("platform", ""),
        url=facts.get("url", ""),
        profile=facts.get("profile", ""),
        posted_at=_instant(facts.get("posted_at")),
        captured_at=_instant(facts.get("captured_at")),
        description=facts.get("description", ""),
    )
    return Evidence(
        row.id,
        row.case_id,
        row.added_at,
        row.added_by,
        row.media_type,
        row.size,
        facts["file_name"],
        facts["sha256"],
        details,
        row.preview is not None,
        facts.get("source", ""),
    )


def _details_json(details: EvidenceDetails) -> dict[str, str | None]:
    values = asdict(details)
    for key in ("posted_at", "captured_at"):
        values[key] = values[key].isoformat() if values[key] else None
    return values


def _instant(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _checked(details: EvidenceDetails) -> EvidenceDetails:
    """Trimmed fields within their limits; a URL must be a web address."""
    trimmed = EvidenceDetails(
        platform=details.platform.strip(),
        url=details.url.strip(),
        profile=details.profile.strip(),
        posted_at=details.posted_at,
        captured_at=details.captured_at,
        description=details.description.strip(),
    )
    for field, value in (("plattform", trimmed.platform), ("url", trimmed.url), ("profil", trimmed.profile)):
        if len(value) > MAX_FIELD_CHARS:
            raise EvidenceRefused(
                f"Die Angabe ist zu lang (höchstens {MAX_FIELD_CHARS} Zeichen).",
                f"The entry is too long (at most {MAX_FIELD_CHARS} characters).",
                field=field,
            )
    if len(trimmed.description) > MAX_DESCRIPTION_CHARS:
        raise EvidenceRefused(
            f"Die Beschreibung ist zu lang (höchstens {MAX_DESCRIPTION_CHARS} Zeichen).",
            f"The description is too long (at most {MAX_DESCRIPTION_CHARS} characters).",
            field="beschreibung",
        )
    if trimmed.url and not trimmed.url.lower().startswith(("http://", "https://")):
        raise EvidenceRefused(
            "Die Adresse muss mit http:// oder https:// beginnen.",
            "The address must start with http:// or https://.",
            field="url",
        )
    if trimmed.posted_at and trimmed.captured_at and trimmed.posted_at > trimmed.captured_at:
        raise EvidenceRefused(
            "Der Beitrag kann nicht nach der Sicherung veröffentlicht worden sein.",
            "The post cannot have been published after it was captured.",
            field="veroeffentlicht",
        )
    return trimmed


def _plain_name(file_name: str, extension: str) -> str:
    """The uploaded name without any path, with the extension of the detected type."""
    base = file_name.replace("\\", "/").rsplit("/", 1)[-1].strip()[:200]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    return f"{stem or 'beweis'}.{extension}"
