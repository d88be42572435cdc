"""Ten single-use recovery codes per person, for when the authenticator is lost: shown once at enrolment,
stored only as argon2 hashes."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine.staff.accounts import hash_password, password_matches
from engine.store.account_tables import RecoveryCode

COUNT = 10


def normalised(code: str) -> str:
    """What is hashed and compared: lower case, without spaces and dashes (people type them either way)."""
    return "".join(code.lower().split()).replace("-", "")


def _new_code() -> str:
    raw = secrets.token_hex(5)  # 40 bits, ten hex digits
    return f"{raw[:5]}-{raw[5:]}"


def replace_codes(session: Session, staff_id: int, now: datetime) -> list[str]:
    """Ten new codes for this person (the old ones are gone); returns them in clear, to be shown once."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff_id))
    codes = [_new_code() for _ in range(COUNT)]
    for code in codes:
        session.add(
            RecoveryCode(staff_id=staff_id, code_hash=hash_password(normalised(code)), created_at=now)
        )
    session.flush()
    return codes


def use_code(session: Session, staff_id: int, code: str, now: datetime) -> bool:
    """Whether ``code`` is one of the person's unused codes; if so it is used up now."""
    typed = normalised(code)
    if len(typed) != 10:  # not the shape of a recovery code (a mistyped TOTP code): no hashing at all
        return False
    unused = session.scalars(
        select(RecoveryCode)
        .where(RecoveryCode.staff_id == staff_id, RecoveryCode.used_at.is_(None))
        .with_for_update()
    ).all()
    for stored in unused:
        if password_matches(stored.code_hash, typed):
            stored.used_at = now
            return True
    return False


def unused_count(session: Session, staff_id: int) -> int:
    found = session.scalars(
        select(RecoveryCode.id).where(RecoveryCode.staff_id == staff_id, RecoveryCode.used_at.is_(None))
    ).all()
    return len(found)


def drop_codes(session: Session, staff_id: int) -> None:
    session.execute(delete(RecoveryCode).where(RecoveryCode.staff_id == staff_id))
