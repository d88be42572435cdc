"""Monthly statistics snapshots: counts, not rows (migration 0020).

One row per month, figure and key with a count; a report for a closed month reads these instead of the
cases, so the retention purge and erasure can remove per-case data without changing past reports.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from engine.store.person_tables import CaseContact
from engine.store.referral_tables import Referral
from engine.store.tables import AuditEvent, Base, Case, Instant, RiskAssessmentRow, StrafantragRow, Task


class StatisticsSnapshot(Base):
    __tablename__ = "statistics_snapshots"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM
    figure: Mapped[str] = mapped_column(String(40))
    key: Mapped[str] = mapped_column(String(120))
    count: Mapped[int] = mapped_column(Integer)
    taken_at: Mapped[datetime] = mapped_column(Instant)
    __table_args__ = (Index("ix_statistics_snapshots_month", "month", "figure", "key", unique=True),)


# what a month's counts range over, besides cases.opened_at (indexed for the case search): one index each
STATISTICS_INDEXES = (
    Index("ix_cases_closed_at", Case.closed_at),
    Index("ix_referrals_created_at", Referral.created_at),
    Index("ix_case_contacts_at", CaseContact.at),
    Index("ix_tasks_due_at", Task.due_at),
    Index("ix_risk_assessments_assessed_at", RiskAssessmentRow.assessed_at),
    Index("ix_strafantraege_recorded_at", StrafantragRow.recorded_at),
    Index("ix_audit_events_action_at", AuditEvent.action, AuditEvent.at),
)
