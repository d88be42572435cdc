"""The second factor after the password: TOTP (RFC 6238, ``pyotp``) with a secret sealed by the vault, or one
of the recovery codes. A code's time step is remembered, so a code seen once is never accepted again."""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import datetime

import pyotp
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine.kernel import audit, outbox
from engine.kernel.context import EngineContext
from engine.kernel.errors import DomainError
from engine.kernel.message_content import session_vault
from engine.kernel.numbers import whole_number
from engine.staff import recovery_codes
from engine.staff.accounts import InvalidStaff
from engine.staff.sessions import end_sessions_of, token_digest
from engine.store.session_tables import StaffSession
from engine.store.tables import Staff

ISSUER = "Lotse"
DRIFT = 1  # time steps accepted either side of now (clocks of phones drift)


class SecondFactorRefused(DomainError):
    code = "second_factor_refused"


@dataclass(frozen=True)
class Enrolment:
    """A new secret to put into an authenticator app: as text and as an ``otpauth://`` URI (for the QR code)."""

    secret: str
    uri: str


def _binding(staff_id: int) -> bytes:
    return f"totp:{staff_id}".encode()


def _secret_of(session: Session, staff: Staff) -> str | None:
    if staff.totp_secret is None:
        return None
    return session_vault(session).open(staff.totp_secret, _binding(staff.id)).decode()


def matching_step(secret: str, code: str, now: datetime, last_step: int | None) -> int | None:
    """The time step (within the drift) whose code this is and that was not used yet, or None."""
    code = "".join(code.split())
    if len(code) != 6 or whole_number(code, 0, 999_999) is None:  # six ASCII digits, nothing else
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(now)
    for step in range(current - DRIFT, current + DRIFT + 1):
        if last_step is not None and step <= last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _session_staff(session: Session, token: str) -> tuple[StaffSession, Staff]:
    found = session.execute(
        select(StaffSession, Staff)
        .join(Staff, Staff.id == StaffSession.staff_id)
        .where(StaffSession.token_hash == token_digest(token), StaffSession.ended_at.is_(None))
        .with_for_update()
    ).first()
    if found is None:
        raise SecondFactorRefused(
            "Ihre Anmeldung ist nicht mehr gültig. Bitte melden Sie sich erneut an.",
            "Your sign-in is no longer valid. Please sign in again.",
        )
    return found[0], found[1]


def _wrong_code() -> SecondFactorRefused:
    return SecondFactorRefused(
        "Der Code stimmt nicht oder wurde schon benutzt. Bitte geben Sie den aktuellen Code ein.",
        "The code is wrong or was used already. Please enter the current code.",
    )


def start_enrolment(ctx: EngineContext, token: str, now: datetime | None = None) -> Enrolment:
    """A new secret for the signed-in person; it counts only after a code confirms it, and is never shown
    after that. Refused once a second factor is enrolled (an administrator resets it)."""
    now = now or ctx.clock.now()
    secret = pyotp.random_base32()
    with ctx.unit_of_work() as session:
        _, staff = _session_staff(session, token)
        if staff.totp_enrolled_at is not None:
            raise SecondFactorRefused(
                "Ein zweiter Faktor ist bereits eingerichtet.", "A second factor is already set up."
            )
        pending = _secret_of(session, staff)
        if pending is not None:  # shown again until a code confirms it (a mistyped code loses nothing)
            secret = pending
        else:
            staff.totp_secret = session_vault(session).seal(secret.encode(), _binding(staff.id))
            staff.totp_last_step = None
        uri = pyotp.TOTP(secret).provisioning_uri(name=staff.username, issuer_name=ISSUER)
        session.commit()
    return Enrolment(secret, uri)


def confirm_enrolment(ctx: EngineContext, token: str, code: str, now: datetime | None = None) -> list[str]:
    """Confirm the new secret with a code from the app: the second factor is enrolled, this session has
    passed it, and ten recovery codes are made (returned in clear to be shown once)."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        signed_in, staff = _session_staff(session, token)
        secret = _secret_of(session, staff)
        if staff.totp_enrolled_at is not None or secret is None:
            raise SecondFactorRefused(
                "Bitte beginnen Sie die Einrichtung erneut.", "Please start the set-up again."
            )
        step = matching_step(secret, code, now, staff.totp_last_step)
        if step is None:
            audit.record(session, now, staff.username, "second_factor_failed", None, "enrolment")
            session.commit()
            raise _wrong_code()
        staff.totp_enrolled_at = now
        staff.totp_last_step = step
        signed_in.second_factor_at = now
        codes = recovery_codes.replace_codes(session, staff.id, now)
        audit.record(session, now, staff.username, "second_factor_enrolled", None, "totp")
        session.commit()
    return codes


def pass_second_factor(ctx: EngineContext, token: str, code: str, now: datetime | None = None) -> None:
    """Check the code after the password: a TOTP code not used before, or an unused recovery code.
    The session then counts as fully signed in."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        signed_in, staff = _session_staff(session, token)
        secret = _secret_of(session, staff) if staff.totp_enrolled_at is not None else None
        if secret is None:
            raise SecondFactorRefused(
                "Für Ihr Konto ist noch kein zweiter Faktor eingerichtet.",
                "No second factor is set up for your account yet.",
            )
        step = matching_step(secret, code, now, staff.totp_last_step)
        if step is not None:
            staff.totp_last_step = step
            how = "totp"
        elif recovery_codes.use_code(session, staff.id, code, now):
            how = f"recovery code, {recovery_codes.unused_count(session, staff.id)} left"
            audit.record(session, now, staff.username, "recovery_code_used", None, how)
        else:
            audit.record(session, now, staff.username, "second_factor_failed", None, None)
            session.commit()
            raise _wrong_code()
        signed_in.second_factor_at = now
        audit.record(session, now, staff.username, "second_factor_passed", None, how)
        session.commit()


def reset_second_factor(ctx: EngineContext, actor: str, username: str, now: datetime | None = None) -> None:
    """An administrator takes away a person's second factor (lost phone): secret and recovery codes are
    gone, every session ends, the person enrols anew at the next login and is told by e-mail."""
    now = now or ctx.clock.now()
    with ctx.unit_of_work() as session:
        staff = session.scalar(select(Staff).where(Staff.username == username))
        if staff is None:
            raise InvalidStaff(f"{username} gibt es nicht.", f"There is no {username}.")
        session.execute(
            update(Staff)
            .where(Staff.id == staff.id)
            .values(totp_secret=None, totp_enrolled_at=None, totp_last_step=None)
        )
        recovery_codes.drop_codes(session, staff.id)
        ended = end_sessions_of(session, staff.id, "factor_reset", now)
        audit.record(session, now, actor, "second_factor_reset", None, f"{username}, {ended} sessions ended")
        outbox.enqueue(
            session,
            now,
            dedupe_key=f"factor-reset:{username}:{now.isoformat()}",
            kind="account",
            recipient=f"staff:{username}",
            subject="Lotse: Ihr zweiter Faktor wurde zurückgesetzt / your second factor was reset",
            body=(
                f"Guten Tag {staff.display_name},\n\n"
                f"{actor} hat den zweiten Faktor Ihres Lotse-Kontos zurückgesetzt. Bei der nächsten Anmeldung "
                "richten Sie ihn neu ein. Wenn Sie das nicht erwartet haben, melden Sie sich bitte sofort bei "
                "der Administration.\n\n"
                f"{actor} reset the second factor of your Lotse account. You will set it up again at your "
                "next sign-in. If you did not expect this, please tell the administrators at once.\n"
            ),
        )
        session.commit()


def is_enrolled(session: Session, staff_id: int) -> bool:
    return session.scalar(select(Staff.totp_enrolled_at).where(Staff.id == staff_id)) is not None
