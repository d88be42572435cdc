"""How every process follows a change of the calendar settings.

Each process (gunicorn runs several) compares the stored revision with the one it runs on at most every
few seconds, when a unit of work starts, and reconfigures its calendar in place when they differ.
"""

from __future__ import annotations

import logging
import threading
import time as monotonic_time
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.settings import CalendarSettings, read_calendar_settings, settings_of
from engine.store.tables import CalendarSettingsRow

log = logging.getLogger(__name__)

CHECK_SECONDS = 5.0


def apply_to(calendar: BusinessCalendar, settings: CalendarSettings) -> None:
    calendar.reconfigure(
        land=settings.land,
        hours=settings.office_hours(),
        recurring_closures=settings.recurring_closures,
        closures=settings.closures,
    )


@dataclass
class CalendarFollower:
    """Keeps one process's calendar on the stored settings, asking the database at most every
    ``interval`` seconds (monotonic time, so a test's manual clock does not matter)."""

    calendar: BusinessCalendar
    interval: float = CHECK_SECONDS
    monotonic: Callable[[], float] = monotonic_time.monotonic
    defaults: CalendarSettings = field(init=False)
    revision: int = field(init=False, default=0)
    _checked_at: float | None = field(init=False, default=None)
    _lock: threading.Lock = field(init=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.defaults = settings_of(self.calendar)

    def follow(self, db: Engine) -> None:
        """Reload if the interval has passed and the stored revision changed; cheap otherwise."""
        checked = self._checked_at
        if checked is not None and self.monotonic() - checked < self.interval:
            return
        if self._lock.acquire(blocking=False):  # while another thread checks, this one goes on
            try:
                self._check(db)
            finally:
                self._lock.release()

    def reload(self, db: Engine) -> None:
        """Check the stored revision now (tests, or after a change made elsewhere)."""
        with self._lock:
            self._check(db)

    def adopt(self, settings: CalendarSettings) -> None:
        """Run on settings this process has just stored."""
        with self._lock:
            if settings.revision > self.revision:
                self._apply(settings)

    def _check(self, db: Engine) -> None:
        self._checked_at = self.monotonic()
        try:
            with Session(db) as session:
                stored = session.scalar(select(CalendarSettingsRow.revision)) or 0
                if stored != self.revision:
                    self._apply(read_calendar_settings(session, self.defaults))
        except (SQLAlchemyError, ValueError) as error:  # an older schema, no database, a bad row: go on
            log.warning("calendar settings not usable, keeping revision %s: %s", self.revision, error)

    def _apply(self, settings: CalendarSettings) -> None:
        apply_to(self.calendar, settings)
        self.revision = settings.revision
        log.info("calendar settings revision %s in use", settings.revision)
