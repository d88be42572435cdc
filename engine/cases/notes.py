"""Notes on a case: free text, encrypted at rest, never in the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from engine.cases.need_to_know import require_case_access
from engine.kernel import audit
from engine.kernel.actor import Actor
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.store.tables import CaseNote

MAX_NOTE_CHARS = 5000


class NoteInvalid(DomainError):
    code = "note_invalid"


@dataclass(frozen=True)
class Note:
    id: int
    author: str
    created_at: datetime
    text: str


def note_binding(case_id: int) -> bytes:
    return f"note:{case_id}".encode()


def add_note(ctx: EngineContext, actor: Actor, case_id: int, text: str, now: datetime | None = None) -> int:
    text = (text or "").strip()
    if not text:
        raise NoteInvalid("Die Notiz ist leer.", "The note is empty.")
    if len(text) > MAX_NOTE_CHARS:
        raise NoteInvalid(
            f"Die Notiz ist zu lang (höchstens {MAX_NOTE_CHARS} Zeichen).",
            f"The note is too long (at most {MAX_NOTE_CHARS} characters).",
        )
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        require_case_access(session, actor, case_id)
        sealed = ctx.vault.seal(text.encode(), note_binding(case_id))
        note_id = session.execute(
            insert(CaseNote).values(case_id=case_id, author=actor.username, created_at=now, body=sealed)
        ).inserted_primary_key[0]
        audit.record(session, now, actor.username, "note_added", case_id, None)
        session.commit()
    return int(note_id)


def case_notes(ctx: EngineContext, session: Session, case_id: int) -> list[Note]:
    rows = session.execute(
        select(CaseNote.id, CaseNote.author, CaseNote.created_at, CaseNote.body)
        .where(CaseNote.case_id == case_id)
        .order_by(CaseNote.created_at.desc(), CaseNote.id.desc())
    )
    return [
        Note(row.id, row.author, row.created_at, ctx.vault.open(row.body, note_binding(case_id)).decode())
        for row in rows
    ]
