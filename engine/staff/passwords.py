"""A person's own password: the change page, the forgotten-password e-mail, the reset and the invitation
(both set a password through a single-use link; no administrator ever knows a password)."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine.kernel import audit, outbox
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.staff.account_links import RESET, holder, issue_link, link_url
from engine.staff.accounts import hash_password, verify_password
from engine.staff.password_policy import check_password
from engine.staff.sessions import end_sessions_of, token_digest
from engine.store.session_tables import StaffSession
from engine.store.tables import Staff


class WrongPassword(DomainError):
    code = "wrong_password"


def link_holder_name(ctx: EngineContext, token: str, purpose: str, now: datetime | None = None) -> str:
    """The display name of a valid link's person, for its page (LinkInvalid otherwise)."""
    with ctx.unit_of_work(writes=False) as session:
        return holder(session, token, purpose, now or ctx.clock.now()).display_name


def set_password_by_link(
    ctx: EngineContext, token: str, purpose: str, password: str, now: datetime | None = None
) -> str:
    """Set the password of an invitation's or a reset link's person; the link is used up and every session
    of the person ends. Returns the username (for the login page)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work(writes=False) as session:
        staff = holder(session, token, purpose, now)
        check_password(password, (staff.username, staff.display_name, staff.email))
    hashed = hash_password(password)  # outside the write transaction: argon2 takes a while
    with ctx.unit_of_work() as session:
        staff = holder(session, token, purpose, now, lock=True)
        staff.password_hash = hashed
        ended = end_sessions_of(session, staff.id, "password_changed", now)
        action = "password_reset" if purpose == RESET else "password_changed"
        detail = f"{staff.username}, by {'reset link' if purpose == RESET else 'invitation'}, {ended} sessions ended"
        audit.record(session, now, staff.username, action, None, detail)
        session.commit()
        return staff.username


def request_reset(ctx: EngineContext, address: str, base_url: str, now: datetime | None = None) -> None:
    """Someone asks for a reset link for an e-mail address. The answer never says whether the address is
    known: both paths make a token and write one audit row; only a known, active address gets a mail."""
    now = now or ctx.clock.now()
    wanted = address.strip().lower()
    with ctx.unit_of_work() as session:
        staff = session.scalar(
            select(Staff).where(func.lower(Staff.email) == wanted, Staff.active.is_(True)).limit(1)
        )
        if staff is None or not wanted:
            token_digest(secrets.token_urlsafe(32))  # the same work as a real link's token
            audit.record(session, now, "-", "password_reset_requested", None, "unknown address")
            session.commit()
            return
        token = issue_link(session, staff.id, RESET, now)
        audit.record(session, now, staff.username, "password_reset_requested", None, None)
        outbox.enqueue(
            session,
            now,
            dedupe_key=f"reset:{token_digest(token)}",
            kind="account",
            recipient=f"staff:{staff.username}",
            subject="Lotse: Passwort zurücksetzen / reset your password",
            body=(
                f"Guten Tag {staff.display_name},\n\n"
                "mit diesem Link setzen Sie ein neues Passwort für Lotse. Er gilt eine Stunde und nur einmal:\n"
                f"{link_url(base_url, RESET, token)}\n\n"
                "Wenn Sie das nicht angefordert haben, ignorieren Sie diese E-Mail.\n\n"
                "This link sets a new Lotse password; it works once, within an hour. "
                "If you did not ask for it, ignore this e-mail.\n"
            ),
        )
        session.commit()


def change_own_password(
    ctx: EngineContext, session_token: str, current: str, new: str, now: datetime | None = None
) -> int:
    """The signed-in person changes their password: the current one is required; every other session
    ends (this one stays). Returns how many sessions ended."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work(writes=False) as session:
        staff, this_session = _session_staff(session, session_token)
    if not verify_password(staff.password_hash, current):
        raise WrongPassword("Das bisherige Passwort stimmt nicht.", "The current password is wrong.")
    check_password(new, (staff.username, staff.display_name, staff.email))
    hashed = hash_password(new)
    with ctx.unit_of_work() as session:
        session.execute(update(Staff).where(Staff.id == staff.id).values(password_hash=hashed))
        ended = session.execute(
            update(StaffSession)
            .where(
                StaffSession.staff_id == staff.id,
                StaffSession.ended_at.is_(None),
                StaffSession.id != this_session,
            )
            .values(ended_at=now, end_reason="password_changed")
        ).rowcount
        audit.record(
            session,
            now,
            staff.username,
            "password_changed",
            None,
            f"{staff.username}, {ended} other sessions ended",
        )
        session.commit()
    return ended or 0


def _session_staff(session: Session, token: str) -> tuple[Staff, int]:
    found = session.execute(
        select(Staff, StaffSession.id)
        .join(StaffSession, StaffSession.staff_id == Staff.id)
        .where(StaffSession.token_hash == token_digest(token))
    ).first()
    if found is None:
        raise WrongPassword("Ihre Sitzung ist nicht mehr gültig.", "Your session is no longer valid.")
    return found[0], found[1]


def invitation_mail(display_name: str, url: str, actor: str) -> tuple[str, str]:
    """Subject and body of an invitation."""
    return (
        "Lotse: Einladung / invitation",
        f"Guten Tag {display_name},\n\n"
        f"{actor} hat ein Lotse-Konto für Sie angelegt. Mit diesem Link setzen Sie Ihr Passwort und richten "
        f"den zweiten Faktor ein. Er gilt drei Tage und nur einmal:\n{url}\n\n"
        f"{actor} created a Lotse account for you. This link sets your password; it works once, "
        "within three days.\n",
    )
