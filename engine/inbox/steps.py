"""The steps the inbox can be filtered by: the user tasks of a process version in German and English,
counselling steps apart from the team leads' escalation steps."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from engine.bpmn.dialect import ESCALATION_PROPERTY
from engine.kernel.context import EngineContext

Choices = tuple[tuple[str, str], ...]
# Lotse's own step beside every model's: a message from the person on the case (engine.channels.conversation)
OWN_STEPS: Choices = (("neue_nachricht", "Neue Nachricht"),)
OWN_ENGLISH: Mapping[str, str] = {"neue_nachricht": "New message"}


@dataclass(frozen=True)
class ProcessSteps:
    """The user tasks of one process version: (element id, German name), the English names the model
    gives (``name_en``), and which of them are escalations of overdue work."""

    names: Choices = ()
    english: Mapping[str, str] = field(default_factory=dict)
    escalations: frozenset[str] = frozenset()
    _by_title: Mapping[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)

    def choices(self, language: str) -> Choices:
        """(element id, name) for the step filter, in the person's language where the model has it."""
        names = self.names + tuple(step for step in OWN_STEPS if step[0] not in dict(self.names))
        if language != "en":
            return names
        english = {**OWN_ENGLISH, **self.english}
        return tuple((element_id, english.get(element_id) or name) for element_id, name in names)

    def groups(self, language: str) -> tuple[Choices, Choices]:
        """The choices in two groups: the work itself, then the escalations."""
        choices = self.choices(language)
        return (
            tuple(step for step in choices if step[0] not in self.escalations),
            tuple(step for step in choices if step[0] in self.escalations),
        )

    def title(self, element_id: str, title: str, language: str) -> str:
        """A task's title in the person's language. The English name is taken only where the stored
        German title is this version's name of the element, so that a task of another process or an
        older version with the same element id keeps its own title."""
        if language != "en":
            return title
        return self._by_title.get((element_id, title), title)

    def __post_init__(self) -> None:
        by_title = {(element_id, name): OWN_ENGLISH[element_id] for element_id, name in OWN_STEPS}
        by_title.update(
            {
                (element_id, name): self.english[element_id]
                for element_id, name in self.names
                if element_id in self.english
            }
        )
        object.__setattr__(self, "_by_title", by_title)


def process_steps(ctx: EngineContext, connection: Connection, version_id: int) -> ProcessSteps:
    """The user tasks of a process version, read on the caller's connection."""
    with Session(bind=connection) as session:
        process = ctx.process(session, version_id)
    escalations = frozenset(
        task.bpmn_id
        for spec in [process.spec, *process.subprocess_specs.values()]
        for task in spec.task_specs.values()
        if ((getattr(task, "extensions", None) or {}).get(ESCALATION_PROPERTY) == "true")
    )
    return ProcessSteps(tuple(process.user_tasks()), process.english_names(), escalations)
