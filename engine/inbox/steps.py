"""The steps the inbox can be filtered by: the user tasks of a process version, in German and English."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from engine.kernel.context import EngineContext


@dataclass(frozen=True)
class ProcessSteps:
    """The user tasks of one process version: (element id, German name), and the English names the
    model gives (``name_en``)."""

    names: tuple[tuple[str, str], ...] = ()
    english: Mapping[str, str] = field(default_factory=dict)
    _by_title: Mapping[tuple[str, str], str] = field(default_factory=dict, init=False, repr=False)

    def choices(self, language: str) -> tuple[tuple[str, str], ...]:
        """(element id, name) for the step filter, in the person's language where the model has it."""
        if language != "en":
            return self.names
        return tuple((element_id, self.english.get(element_id) or name) for element_id, name in self.names)

    def title(self, element_id: str, title: str, language: str) -> str:
        """A task's title in the person's language. The English name is taken only where the stored
        German title is this version's name of the element, so that a task of another process or an
        older version with the same element id keeps its own title."""
        if language != "en":
            return title
        return self._by_title.get((element_id, title), title)

    def __post_init__(self) -> None:
        by_title = {
            (element_id, name): self.english[element_id]
            for element_id, name in self.names
            if element_id in self.english
        }
        object.__setattr__(self, "_by_title", by_title)


def process_steps(ctx: EngineContext, connection: Connection, version_id: int) -> ProcessSteps:
    """The user tasks of a process version, read on the caller's connection."""
    with Session(bind=connection) as session:
        spec = ctx.process(session, version_id)
        return ProcessSteps(tuple(spec.user_tasks()), spec.english_names())
