"""What a migration reports: the versions to choose from, the verdict on each case, why a case cannot move."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

# What a changed attribute means, for people (German, English).
CHANGE_NAMES: dict[str, tuple[str, str]] = {
    "form": ("Formular", "form"),
    "script": ("Skript", "script"),
    "cond_task_specs": ("Bedingungen", "conditions"),
    "default_task_spec": ("Standardfluss", "default flow"),
    "event_definition": ("Ereignis", "event"),
    "decision_table": ("Entscheidungstabelle", "decision table"),
    "typename": ("Elementart", "element type"),
    "extensions": ("Erweiterungen", "extensions"),
}


@dataclass(frozen=True)
class VersionChoice:
    """A deployed process version and how many open cases run on it."""

    id: int
    key: str
    version: int
    name: str
    deployed_at: datetime
    deployed_by: str
    open_cases: int


@dataclass(frozen=True)
class Refusal:
    """Why a case cannot (or could not) move, in German and English."""

    kind: str
    element_id: str | None = None
    element_name: str | None = None
    changes: tuple[str, ...] = ()
    detail: str | None = None

    def message(self, language: str = "de") -> str:
        german, english = self._sentences()
        return german if language == "de" else english

    def _sentences(self) -> tuple[str, str]:
        name = f"{self.element_name} ({self.element_id})" if self.element_name else (self.element_id or "")
        changes_de = ", ".join(CHANGE_NAMES.get(c, (c, c))[0] for c in self.changes)
        changes_en = ", ".join(CHANGE_NAMES.get(c, (c, c))[1] for c in self.changes)
        if self.kind == "completed_removed":
            return (
                f"Der bereits erledigte Schritt „{name}“ fehlt in der Zielversion.",
                f"The completed step “{name}” no longer exists in the target version.",
            )
        if self.kind == "completed_changed":
            return (
                f"Der bereits erledigte Schritt „{name}“ wurde geändert ({changes_de}).",
                f"The completed step “{name}” was changed ({changes_en}).",
            )
        if self.kind == "open_removed":
            return (
                f"Der offene Schritt „{name}“ fehlt in der Zielversion.",
                f"The open step “{name}” no longer exists in the target version.",
            )
        if self.kind == "open_kind_changed":
            return (
                f"Der offene Schritt „{name}“ ist in der Zielversion ein anderes Element.",
                f"The open step “{name}” is a different kind of element in the target version.",
            )
        if self.kind == "stale":
            return (
                "Der Fall wurde seit dem Probelauf geändert und nicht migriert. Bitte den Probelauf wiederholen.",
                "The case changed since the dry run and was not migrated. Please run the dry run again.",
            )
        if self.kind == "not_on_source":
            return (
                "Der Fall ist nicht mehr offen auf der Ausgangsversion und wurde nicht migriert.",
                "The case is no longer open on the source version and was not migrated.",
            )
        if self.kind == "not_found":
            return ("Diesen Fall gibt es nicht.", "There is no such case.")
        return (
            f"Die Zielversion kann den Fall nicht fortsetzen: {self.detail}",
            f"The target version cannot continue the case: {self.detail}",
        )


@dataclass(frozen=True)
class Deadline:
    """An open task of a case after the move: its due time before (None for a new task) and after."""

    element_id: str
    title: str
    due_before: datetime | None
    due_after: datetime | None
    new: bool


@dataclass(frozen=True)
class CaseCheck:
    """The dry run's verdict on one case."""

    case_id: int
    reference: str
    lock_version: int
    open_steps: tuple[str, ...]
    refusals: tuple[Refusal, ...]
    deadlines: tuple[Deadline, ...]
    risk_level: str | None = None

    @property
    def movable(self) -> bool:
        return not self.refusals

    @property
    def clock_time(self) -> bool:
        """Its deadlines run in calendar time (AKUT), as the inbox reads them; others in working time."""
        return self.risk_level == "AKUT"


@dataclass(frozen=True)
class DryRun:
    source: VersionChoice
    target: VersionChoice
    added: tuple[str, ...]
    removed: tuple[str, ...]
    changed: tuple[str, ...]
    movable: tuple[CaseCheck, ...]
    refused: tuple[CaseCheck, ...]


@dataclass(frozen=True)
class CaseMigration:
    """The outcome of the migration of one case: migrated, or why not."""

    case_id: int
    reference: str
    migrated: bool
    lock_version: int | None
    refusals: tuple[Refusal, ...] = ()
