"""Step failures ("Störungen"): a case step that model code could not run, recorded once per step."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant


class StepFailure(Base):
    """One failed step: which case (none when opening failed), which element, what bound or error, when.

    Holds no case content: the detail is the sandbox's fixed sentence or the error's class name.
    """

    __tablename__ = "step_failures"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    # the case's lock version the step started from: the same step on the same state fails again
    lock_version: Mapped[int | None] = mapped_column(Integer)
    step: Mapped[str] = mapped_column(String(16))  # task, opening, timer, incident, strafantrag
    element_id: Mapped[str | None] = mapped_column(String(200))
    element_name: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(8))  # time, memory, error
    detail: Mapped[str] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(100))
    occurred_at: Mapped[datetime] = mapped_column(Instant)
    resolved_at: Mapped[datetime | None] = mapped_column(Instant)
    resolved_by: Mapped[str | None] = mapped_column(String(100))
