"""Everything a use case needs, built once per process: database, BPMN runtime, vault, calendar, clock."""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from engine.bpmn.clock import current_time
from engine.bpmn.instance import Instance
from engine.bpmn.parsing import ProcessSpec
from engine.bpmn.runtime import Runtime
from engine.calendar.business_calendar import BusinessCalendar
from engine.calendar.deadline_functions import expression_helpers
from engine.calendar.settings_follower import CHECK_SECONDS, CalendarFollower
from engine.kernel.clock import SESSION_CLOCK, Clock, SystemClock
from engine.kernel.message_content import SESSION_VAULT
from engine.sandbox.restricted import Sandbox
from engine.store.database import make_engine, make_session_factory
from engine.store.tables import ProcessVersion
from engine.store.vault import Vault


class InstanceCache:
    """Recently used instances by case, valid only for the lock version they were saved with.

    ``take`` removes the entry, so a live instance is never shared by two use cases at once.
    """

    def __init__(self, capacity: int = 512) -> None:
        self._entries: OrderedDict[int, tuple[int, Instance]] = OrderedDict()
        self._lock = threading.Lock()
        self.capacity = capacity

    def take(self, case_id: int, lock_version: int) -> Instance | None:
        with self._lock:
            entry = self._entries.pop(case_id, None)
        if entry is None or entry[0] != lock_version:
            return None
        return entry[1]

    def put(self, case_id: int, lock_version: int, instance: Instance) -> None:
        with self._lock:
            self._entries[case_id] = (lock_version, instance)
            self._entries.move_to_end(case_id)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


@dataclass
class EngineContext:
    db: Engine
    session_factory: sessionmaker[Session]
    runtime: Runtime
    vault: Vault
    calendar: BusinessCalendar
    clock: Clock
    calendar_follower: CalendarFollower = field(init=False)
    calendar_check_seconds: float = CHECK_SECONDS
    index_key: bytes = b""  # the blind index's key (engine.person.blind_index); empty: derived from the vault
    older_index_keys: tuple[bytes, ...] = ()  # still found by, until `lotse keys rotate --index` is done
    instances: InstanceCache = field(default_factory=InstanceCache)
    _processes: dict[int, ProcessSpec] = field(default_factory=dict)
    _diagrams: dict[int, bytes] = field(default_factory=dict)  # a version's BPMN, UTF-8: it never changes
    _process_lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.calendar_follower = CalendarFollower(self.calendar, self.calendar_check_seconds)

    @property
    def index_keys(self) -> tuple[bytes, ...]:
        """The blind index's keys, the active one first: a search looks for the digests under each."""
        return (self.index_key, *self.older_index_keys)

    @property
    def is_postgres(self) -> bool:
        return self.db.dialect.name == "postgresql"

    @contextmanager
    def unit_of_work(self, writes: bool = True) -> Iterator[Session]:
        """One transaction: rolled back unless the use case commits it. Pass ``writes=False`` to only read.

        Starting one also keeps the calendar on the stored settings (asks at most every few seconds).
        The session carries the vault, so what it writes to the outbox is sealed (``engine.kernel.outbox``),
        and the clock, so rules that depend on the time (a break-glass grant's expiry) read the engine's.
        """
        self.calendar_follower.follow(self.db)
        session = self.session_factory(info={SESSION_VAULT: self.vault, SESSION_CLOCK: self.clock})
        if writes and self.db.dialect.name == "sqlite":
            session.connection(execution_options={"lotse_writes": True})
        try:
            yield session
        finally:
            session.close()  # rolls back whatever was not committed; loaded rows stay readable

    def reload_calendar(self) -> None:
        """Put the calendar on the stored settings now, without waiting for the next periodic check."""
        self.calendar_follower.reload(self.db)

    def process(self, session: Session, version_id: int) -> ProcessSpec:
        """The parsed spec of a process version, deserialized once per process."""
        found = self._processes.get(version_id)
        if found is not None:
            return found
        spec_json = session.scalar(select(ProcessVersion.spec_json).where(ProcessVersion.id == version_id))
        if spec_json is None:
            raise LookupError(f"process version {version_id}")
        with self._process_lock:
            found = self._processes.get(version_id)
            if found is None:
                found = self.runtime.spec_from_json(spec_json)
                self._processes[version_id] = found
        return found

    def diagram(self, session: Session, version_id: int) -> bytes:
        """The BPMN of a process version as served to the diagram viewer, read once per process."""
        found = self._diagrams.get(version_id)
        if found is None:
            xml = session.scalar(select(ProcessVersion.bpmn_xml).where(ProcessVersion.id == version_id))
            if xml is None:
                raise LookupError(f"process version {version_id}")
            found = self._diagrams[version_id] = xml.encode()
        return found


def build_context(
    database_url: str,
    vault: Vault,
    calendar: BusinessCalendar | None = None,
    clock: Clock | None = None,
    calendar_check_seconds: float = CHECK_SECONDS,
    index_key: bytes | None = None,
    older_index_keys: tuple[bytes, ...] = (),
    **engine_options: object,
) -> EngineContext:
    """The context of one process; its calendar's settings without a stored row are the defaults."""
    calendar = calendar or BusinessCalendar()
    sandbox = Sandbox(expression_helpers(calendar, current_time))
    db = make_engine(database_url, **engine_options)
    return EngineContext(
        db=db,
        session_factory=make_session_factory(db),
        runtime=Runtime(sandbox),
        vault=vault,
        calendar=calendar,
        clock=clock or SystemClock(),
        calendar_check_seconds=calendar_check_seconds,
        index_key=index_key or vault.derive_key(b"blind index"),
        older_index_keys=older_index_keys,
    )
