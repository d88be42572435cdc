"""How strong a new password must be: at least 12 characters and a good score of the ``zxcvbn`` estimator,
which knows common passwords, names, keyboard patterns and the person's own name and address."""

from __future__ import annotations

from collections.abc import Iterable

from zxcvbn import zxcvbn

from engine.kernel.errors import DomainError

MIN_LENGTH = 12
MIN_SCORE = 3  # zxcvbn: 0 too guessable … 4 very unguessable; 3 resists an offline attack on a slow hash
CHECKED_LENGTH = 100  # zxcvbn's time grows with length; a longer password is judged by its start


class WeakPassword(DomainError):
    code = "weak_password"


def check_password(password: str, personal: Iterable[str | None] = ()) -> None:
    """Refuse a password that is too short or too easy to guess (``personal``: username, name, address)."""
    if len(password) < MIN_LENGTH:
        raise WeakPassword(
            f"Das Passwort muss mindestens {MIN_LENGTH} Zeichen haben.",
            f"The password must have at least {MIN_LENGTH} characters.",
        )
    words = [word for word in personal if word]
    if zxcvbn(password[:CHECKED_LENGTH], user_inputs=words)["score"] < MIN_SCORE:
        raise WeakPassword(
            "Dieses Passwort ist zu leicht zu erraten (häufiges Passwort, Name oder Muster). "
            "Nehmen Sie zum Beispiel mehrere ungewöhnliche Wörter.",
            "This password is too easy to guess (a common password, a name or a pattern). "
            "Use several uncommon words, for example.",
        )
