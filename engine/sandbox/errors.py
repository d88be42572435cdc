"""What the sandbox raises: code it refuses to compile, and code it stops at run time."""

from __future__ import annotations

from typing import Literal

Bound = Literal["time", "memory"]

_HEADLINES: dict[str, tuple[str, str]] = {
    "time": ("Time bound exceeded", "Zeitgrenze überschritten"),
    "memory": ("Memory bound exceeded", "Speichergrenze überschritten"),
}


class SandboxError(Exception):
    """Model code the sandbox refuses or stops."""


def mebibytes(amount: float) -> str:
    """``amount`` bytes as a rounded number of MiB, for people."""
    return f"{amount / 2**20:,.0f} MiB"


def german_seconds(value: float) -> str:
    """``0,5``: seconds with a German decimal comma."""
    return f"{value:g}".replace(".", ",")


def german_number(value: int) -> str:
    """``1.234.567``: German thousands separators."""
    return f"{value:,}".replace(",", ".")


class ModelCodeBreach(SandboxError):
    """Model code stopped because it ran out of time or memory (or was about to).

    ``bound`` is ``"time"`` or ``"memory"``; ``elapsed`` the seconds the evaluation had run; ``limit``
    the bound in seconds or bytes. ``detail``/``detail_german`` name the operation that was refused
    before it ran, when the breach was foreseen rather than measured. ``english`` and ``german`` are
    complete sentences for people, as in ``engine.kernel.errors.DomainError``.
    """

    code = "model_code_breach"

    def __init__(
        self, bound: Bound, elapsed: float, limit: float, detail: str = "", detail_german: str = ""
    ) -> None:
        self.bound = bound
        self.elapsed = elapsed
        self.limit = limit
        self.detail = detail
        self.detail_german = detail_german
        self.english, self.german = _sentences(bound, limit, detail, detail_german)
        super().__init__(f"{self.english} / {self.german}")

    def message(self, language: str = "de") -> str:
        return self.german if language == "de" else self.english

    def __reduce__(self) -> tuple[type[ModelCodeBreach], tuple[Bound, float, float, str, str]]:
        return (type(self), (self.bound, self.elapsed, self.limit, self.detail, self.detail_german))


def _sentences(bound: Bound, limit: float, detail: str, detail_german: str) -> tuple[str, str]:
    english, german = _HEADLINES[bound]
    if detail:
        return (
            f"{english}: the model code was stopped before {detail}.",
            f"{german}: Der Modellcode wurde abgebrochen, bevor {detail_german or detail}.",
        )
    if bound == "time":
        return (
            f"{english}: the model code ran longer than {limit:g} s and was stopped.",
            f"{german}: Der Modellcode lief länger als {german_seconds(limit)} s und wurde abgebrochen.",
        )
    return (
        f"{english}: the model code needed more than {mebibytes(limit)} of additional memory and was stopped.",
        f"{german}: Der Modellcode brauchte mehr als {mebibytes(limit)} zusätzlichen Speicher und wurde "
        "abgebrochen.",
    )
