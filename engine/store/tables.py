"""The core tables of Lotse. Case content lives encrypted in ``cases.state``; every other column is declared
non-identifying (projected attributes for queries and statistics) or operational. The referral tables are in
``engine.store.referral_tables``; ``engine.store.schema`` gathers every table module."""

from __future__ import annotations

from datetime import date, datetime, time

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from engine.store.database import UtcDateTime

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


Instant = UtcDateTime()
# what the inbox filters by beside the index keys: read from its indexes without visiting the table
INBOX_INCLUDE = ["element_id", "case_risk_level", "case_land"]
FILTER_INDEXES = {
    "risk_land": ("case_risk_level", "case_land"),
    "land": ("case_land",),
    "step": ("element_id",),
}


class ProcessVersion(Base):
    __tablename__ = "process_versions"
    __table_args__ = (UniqueConstraint("key", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(100))
    version: Mapped[int] = mapped_column(Integer)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # equal for a rolled-back version
    bpmn_xml: Mapped[str] = mapped_column(Text)
    dmn_xml: Mapped[str] = mapped_column(Text)  # JSON object: file name -> XML
    spec_json: Mapped[str] = mapped_column(Text)
    deployed_at: Mapped[datetime] = mapped_column(Instant)
    deployed_by: Mapped[str] = mapped_column(String(100))


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(32), unique=True)
    process_version_id: Mapped[int] = mapped_column(ForeignKey("process_versions.id"))
    state: Mapped[bytes] = mapped_column(LargeBinary)
    serializer_version: Mapped[str] = mapped_column(String(40))
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[str] = mapped_column(String(16), default="open")
    next_timer_at: Mapped[datetime | None] = mapped_column(Instant)
    escalated: Mapped[bool] = mapped_column(Boolean, default=False)
    legal_hold: Mapped[bool] = mapped_column(Boolean, default=False)
    # projected, non-identifying attributes (engine.store.projection declares which variable feeds which)
    risk_level: Mapped[str | None] = mapped_column(String(16))
    land: Mapped[str | None] = mapped_column(String(4))
    office_type: Mapped[str | None] = mapped_column(String(40))
    contact_channel: Mapped[str | None] = mapped_column(String(40))
    request_kind: Mapped[str | None] = mapped_column(String(20))  # "information" (migration 0017)
    incident_types: Mapped[str | None] = mapped_column(String(200))  # codes, space-separated (migration 0020)
    incident_channel: Mapped[str | None] = mapped_column(String(40))  # (migration 0020)
    request_topics: Mapped[str | None] = mapped_column(String(200))  # codes, space-separated (migration 0022)
    opened_at: Mapped[datetime] = mapped_column(Instant)
    first_contact_at: Mapped[datetime | None] = mapped_column(Instant)
    # working time from opening to the first reply, tenths of an hour, set with first_contact_at (migration 0022)
    first_contact_tenths: Mapped[int | None] = mapped_column(Integer)
    # working time from opening to the first referral, tenths of an hour, set with it (migration 0022)
    first_referral_tenths: Mapped[int | None] = mapped_column(Integer)
    closed_at: Mapped[datetime | None] = mapped_column(Instant)
    updated_at: Mapped[datetime] = mapped_column(Instant)
    opened_by: Mapped[str] = mapped_column(String(100))
    # a purged case's coarsened values (migration 0030, ``engine.cases.coarsening``): NULL until coarsened
    statistics_period: Mapped[str | None] = mapped_column(String(7))
    statistics_referral: Mapped[str | None] = mapped_column(String(4))

    __table_args__ = (
        Index(
            "ix_cases_timer_due",
            "next_timer_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_cases_status_risk", "status", "risk_level"),
        # the case search: newest first, by Land or office type (migration 0014)
        Index("ix_cases_opened_at", "opened_at"),
        Index("ix_cases_land_opened", "land", "opened_at"),
        Index("ix_cases_office_opened", "office_type", "opened_at"),
    )


class Task(Base):
    """The projection of READY human tasks (and their history); the inbox reads only this."""

    __tablename__ = "tasks"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    element_id: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200))
    candidate_group: Mapped[str | None] = mapped_column(String(50))
    assignee: Mapped[str | None] = mapped_column(String(100))
    due_at: Mapped[datetime | None] = mapped_column(Instant)
    follow_up_at: Mapped[datetime | None] = mapped_column(Instant)
    priority: Mapped[int] = mapped_column(Integer, default=50)
    escalation: Mapped[bool] = mapped_column(Boolean, default=False)
    status: Mapped[str] = mapped_column(String(16), default="open")  # open, completed, cancelled
    created_at: Mapped[datetime] = mapped_column(Instant)
    completed_at: Mapped[datetime | None] = mapped_column(Instant)
    completed_by: Mapped[str | None] = mapped_column(String(100))
    # the case's facts the inbox shows and filters by, copied so that it reads this table alone; kept in
    # line with the case in the same transaction while the task is open (engine.store.task_projection,
    # migration 0010)
    case_reference: Mapped[str | None] = mapped_column(String(32))
    case_risk_level: Mapped[str | None] = mapped_column(String(16))
    case_land: Mapped[str | None] = mapped_column(String(4))
    case_escalated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    __table_args__ = (
        Index("ix_tasks_case", "case_id", "status"),
        Index(
            "ix_tasks_open_group_due",
            "candidate_group",
            "due_at",
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # a person's own open tasks in the inbox's order, filtered and counted from the index (0031)
        Index(
            "ix_tasks_open_assignee_due",
            "assignee",
            "due_at",
            text("priority DESC"),
            "id",
            postgresql_include=INBOX_INCLUDE,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        # the inbox's sort order over open tasks, and over unassigned ones by group (migration 0004;
        # since 0010 they carry the step, risk level and Land for the filters instead of the case id)
        Index(
            "ix_tasks_open_due",
            "due_at",
            text("priority DESC"),
            "id",
            postgresql_include=INBOX_INCLUDE,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "ix_tasks_open_unassigned",
            "candidate_group",
            "due_at",
            text("priority DESC"),
            "id",
            postgresql_include=INBOX_INCLUDE,
            sqlite_where=text("status = 'open' AND assignee IS NULL"),
            postgresql_where=text("status = 'open' AND assignee IS NULL"),
        ),
        # the same two lists sorted by priority (migration 0010)
        Index(
            "ix_tasks_open_priority",
            text("priority DESC"),
            "due_at",
            "id",
            postgresql_include=INBOX_INCLUDE,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index(
            "ix_tasks_open_unassigned_priority",
            "candidate_group",
            text("priority DESC"),
            "due_at",
            "id",
            postgresql_include=INBOX_INCLUDE,
            sqlite_where=text("status = 'open' AND assignee IS NULL"),
            postgresql_where=text("status = 'open' AND assignee IS NULL"),
        ),
        # the header's AKUT alert counts these on every page (engine.inbox.acute): a few rows, not a group's;
        # in the list's order they are also the AKUT part of "Meine Gruppen", and the next one that of
        # "Alle offenen" (0031)
        Index(
            "ix_tasks_open_unclaimed_acute",
            "candidate_group",
            "due_at",
            text("priority DESC"),
            "id",
            postgresql_include=INBOX_INCLUDE,
            sqlite_where=text("status = 'open' AND assignee IS NULL AND case_risk_level = 'AKUT'"),
            postgresql_where=text("status = 'open' AND assignee IS NULL AND case_risk_level = 'AKUT'"),
        ),
        Index(
            "ix_tasks_open_acute",
            "due_at",
            text("priority DESC"),
            "id",
            postgresql_include=INBOX_INCLUDE,
            sqlite_where=text("status = 'open' AND case_risk_level = 'AKUT'"),
            postgresql_where=text("status = 'open' AND case_risk_level = 'AKUT'"),
        ),
        # the filtered totals of all open tasks (a team lead's "Alle offenen" by risk, Land, step): a
        # range of one of these instead of every open task (migration 0010)
        *(
            Index(
                f"ix_tasks_open_{name}",
                *columns,
                sqlite_where=text("status = 'open'"),
                postgresql_where=text("status = 'open'"),
            )
            for name, columns in FILTER_INDEXES.items()
        ),
    )


class OutboxMessage(Base):
    """E-mails and webhooks written in the use case's transaction, delivered after commit by a job.

    Subject and body are one ciphertext (``engine.kernel.message_content``), emptied once delivered;
    the rest is the delivery record: what kind, to whom, when, how often, why not.
    """

    __tablename__ = "outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)  # also the mail's Message-ID
    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(200))  # staff:NAME, group:ROLE or a service's address
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once delivered (or purged)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="pending")  # pending, sent, dead
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(Instant)
    created_at: Mapped[datetime] = mapped_column(Instant)
    sent_at: Mapped[datetime | None] = mapped_column(Instant)
    last_error: Mapped[str | None] = mapped_column(String(500))

    __table_args__ = (Index("ix_outbox_pending", "status", "next_attempt_at"),)


class AuditEvent(Base):
    """Append-only: who did what to which case, when. Never case content."""

    __tablename__ = "audit_events"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(Instant)
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40))
    case_id: Mapped[int | None] = mapped_column(Integer, index=True)
    detail: Mapped[str | None] = mapped_column(String(200))


class Staff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    username: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[str] = mapped_column(String(200))  # space-separated: beratung teamleitung ...
    language: Mapped[str] = mapped_column(String(5), default="de")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(Instant)
    last_login_at: Mapped[datetime | None] = mapped_column(Instant)
    # The TOTP secret, sealed by the vault and bound to the staff id; enrolled once confirmed with a code.
    totp_secret: Mapped[bytes | None] = mapped_column(LargeBinary)
    totp_enrolled_at: Mapped[datetime | None] = mapped_column(Instant)
    totp_last_step: Mapped[int | None] = mapped_column(Integer)  # the last time step used (no replay)


class CaseNote(Base):
    """A counsellor's note on a case; the body is sealed by the vault, bound to the note's case."""

    __tablename__ = "case_notes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(Instant)
    body: Mapped[bytes] = mapped_column(LargeBinary)


class CalendarSettingsRow(Base):
    """The one row of calendar settings an administrator keeps; without it the built-in defaults apply.

    ``revision`` goes up with every change, so each process notices cheaply that it must reload.
    """

    __tablename__ = "calendar_settings"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=1)
    opens: Mapped[time] = mapped_column(Time)
    closes: Mapped[time] = mapped_column(Time)
    weekdays: Mapped[str] = mapped_column(String(20))  # Monday=0, comma-separated: "0,1,2,3,4"
    land: Mapped[str] = mapped_column(String(2))
    recurring_closures: Mapped[str] = mapped_column(Text)  # month-day pairs, comma-separated: "12-24,12-31"
    closures: Mapped[str] = mapped_column(Text)  # ISO dates, comma-separated
    revision: Mapped[int] = mapped_column(Integer)
    updated_at: Mapped[datetime] = mapped_column(Instant)
    updated_by: Mapped[str] = mapped_column(String(100))


class RiskAssessmentRow(Base):
    """One confirmed risk assessment. The answers and the reason for an override are content: sealed by the
    vault, bound to the case. Proposal, rule and result stay readable for statistics."""

    __tablename__ = "risk_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    task_id: Mapped[str] = mapped_column(String(36), unique=True)  # the confirming task: recorded once
    assessed_at: Mapped[datetime] = mapped_column(Instant)
    assessed_by: Mapped[str] = mapped_column(String(100))
    incident: Mapped[bool] = mapped_column(Boolean)  # a re-assessment after a new incident
    proposal: Mapped[str | None] = mapped_column(String(10))
    rule: Mapped[str | None] = mapped_column(String(20))
    result: Mapped[str] = mapped_column(String(10))
    overridden: Mapped[bool] = mapped_column(Boolean)
    sealed: Mapped[bytes] = mapped_column(LargeBinary)  # JSON: the answers and the reason


class StrafantragRow(Base):
    """One offence that needs a Strafantrag, with its § 77b StGB period.

    The offence and the dates the person learned of it and of the offender are sealed (JSON, bound to the
    case: ``engine.strafantrag.offence_content``, migration 0023); the deadline stays readable for the
    board and the reminders (README, "Columns in clear")."""

    __tablename__ = "strafantraege"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    land: Mapped[str] = mapped_column(String(2))
    deadline: Mapped[date | None] = mapped_column(Date, index=True)
    sealed: Mapped[bytes | None] = mapped_column(LargeBinary)  # None once purged or erased
    status: Mapped[str] = mapped_column(String(20))  # offen, gestellt, verzichtet
    reminders_started: Mapped[bool] = mapped_column(Boolean)
    recorded_by: Mapped[str] = mapped_column(String(100))
    recorded_at: Mapped[datetime] = mapped_column(Instant)
    updated_at: Mapped[datetime] = mapped_column(Instant)


# -- scheduled work: retention purge (migration 0007) -------------------------------------------


class CasePurge(Base):
    """A closed case whose identifying content was deleted after the retention period.

    The case row keeps its projected statistical attributes; the audit trail stays as it was.
    """

    __tablename__ = "case_purges"

    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True)
    purged_at: Mapped[datetime] = mapped_column(Instant)
    purged_by: Mapped[str] = mapped_column(String(100))
    retention_months: Mapped[int] = mapped_column(Integer)
    notes_deleted: Mapped[int] = mapped_column(Integer)
