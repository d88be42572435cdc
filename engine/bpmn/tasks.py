"""Human tasks, their forms, completed steps and the effects a process asks for, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class FieldSpec:
    id: str
    type: str
    label: str
    default: str | None = None
    options: tuple[tuple[str, str], ...] = ()
    constraints: tuple[tuple[str, str | None], ...] = ()
    properties: tuple[tuple[str, str | None], ...] = ()

    @property
    def required(self) -> bool:
        return any(name == "required" for name, _ in self.constraints)

    @property
    def multiple(self) -> bool:
        return self.property("multiple") == "true"

    @property
    def readonly(self) -> bool:
        """Shown, never written by the form: a ``readonly`` property (Lotse) or constraint (Camunda)."""
        return self.property("readonly") == "true" or any(name == "readonly" for name, _ in self.constraints)

    @property
    def multiline(self) -> bool:
        return self.property("multiline") == "true"

    def label_in(self, language: str) -> str:
        """The label in the person's language: a ``label_en`` property (English), else the model's label."""
        return (self.property(f"label_{language}") if language != "de" else None) or self.label

    def option_in(self, option: str, name: str, language: str) -> str:
        """An enum value's name in the person's language (property ``label_en.<value id>``)."""
        return (self.property(f"label_{language}.{option}") if language != "de" else None) or name

    def property(self, name: str) -> str | None:
        return next((value for key, value in self.properties if key == name), None)

    def constraint(self, name: str) -> str | None:
        return next((value for key, value in self.constraints if key == name), None)


@dataclass(frozen=True)
class FormSpec:
    fields: tuple[FieldSpec, ...] = ()

    def field(self, field_id: str) -> FieldSpec | None:
        return next((f for f in self.fields if f.id == field_id), None)


@dataclass(frozen=True)
class HumanTask:
    """A READY user task as the task projection and the inbox see it."""

    id: str
    element_id: str
    title: str
    instructions: str | None
    candidate_group: str | None
    assignee: str | None
    due_at: datetime | None
    follow_up_at: datetime | None
    priority: int
    escalation: bool
    title_en: str | None = None  # the model's English texts (camunda:properties name_en, documentation_en)
    instructions_en: str | None = None


@dataclass(frozen=True)
class Effect:
    """What the process asked Lotse to do when it passed an element with ``lotse:effect``.

    ``erinnerung``: remind whoever works on the target task; ``eskalation``: the target task's
    priority is raised and the case is escalated to the team leads; ``fristen``: the variables named
    in ``lotse:variablen`` are handed to the main flow and every open deadline that the new values
    make earlier is tightened (never loosened).
    """

    kind: str
    element_id: str
    element_name: str
    target: HumanTask | None


@dataclass(frozen=True)
class CompletedStep:
    """A completed user task with the form it answered and the variables as it left them."""

    id: str
    element_id: str
    title: str
    form: FormSpec
    data: dict[str, Any]
    title_en: str | None = None  # the model's English name (camunda:properties name_en), if any

    def title_in(self, language: str) -> str:
        return (self.title_en if language == "en" else None) or self.title


@dataclass(frozen=True)
class WaitingStep:
    """A timer the case waits at outside any task (e.g. until the follow-up), and until when."""

    element_id: str
    title: str
    due_at: datetime
    title_en: str | None = None
