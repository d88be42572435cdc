"""Service settings an administrator keeps beside the calendar (one row; without it the defaults apply)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, CheckConstraint, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.tables import Base, Instant


class ServiceSettingsRow(Base):
    """``four_eyes_lowering``: lowering a risk level below the decision table's proposal waits for a second
    person or a team lead (default on)."""

    __tablename__ = "service_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    four_eyes_lowering: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(Instant)
    updated_by: Mapped[str] = mapped_column(String(100))
