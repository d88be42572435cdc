"""`lotse keys rotate` while Lotse runs, `retire`, and what an unreadable ciphertext does (issue 19).

Cases are created under the key ``test`` (the suite's); Lotse is then "restarted" with a keyring whose
newest key ``neu`` is active and a new blind-index key, and a counsellor completes tasks while the
rotation runs on its own context, as `lotse keys rotate` beside a running Lotse does.
"""

from __future__ import annotations

import threading
import time
from datetime import date

from sqlalchemy import LargeBinary, func, select, update

from engine.calendar.business_calendar import BusinessCalendar
from engine.cases.lifecycle import complete_task
from engine.cases.notes import add_note, case_notes
from engine.kernel.context import build_context
from engine.kernel.errors import ConcurrentUpdate
from engine.keys.index_rotation import index_remaining, rotate_index
from engine.keys.rotation import remaining, rotate
from engine.keys.sealed_columns import SEALED_COLUMNS
from engine.person.contact_routes import cases_with_route
from engine.person.intake import IntakeRoutes, open_case_for_person
from engine.processes.deployment import deploy_process
from engine.store import schema
from engine.store.case_store import binding
from engine.store.tables import Case, CaseNote, Task
from engine.store.vault import Vault, VaultError
from engine.strafantrag.periods import case_offences, record_offence
from tests.conftest import COUNSELLOR
from tests.integration.small_models import GESPRAECH_MODEL
from tests.steps import task_id_for

OLD_KEY = b"k" * 32  # tests.conftest.TEST_KEY's
NEW_KEY = b"n" * 32
NEW_INDEX_KEY = b"i" * 32


def _restarted(ctx, clock):
    """The same database with the new key in front of the keyring and a new blind-index key."""
    vault = Vault({"neu": NEW_KEY, "test": OLD_KEY}, "neu")
    url = ctx.db.url.render_as_string(hide_password=False)
    return build_context(
        url,
        vault,
        BusinessCalendar(land="NW"),
        clock,
        index_key=NEW_INDEX_KEY,
        older_index_keys=(ctx.index_key,),
    )


def _seed(ctx, count: int) -> list[int]:
    deploy_process(ctx, "test", GESPRAECH_MODEL)
    cases = []
    for n in range(count):
        case_id = open_case_for_person(
            ctx,
            COUNSELLOR,
            {"kontaktkanal": "telefon"},
            "vertraulich",
            IntakeRoutes(phone=f"+49 171 55{n:05d}"),
            process_key="gespraech",
        ).case_id
        add_note(ctx, COUNSELLOR, case_id, f"Notiz {n}")
        cases.append(case_id)
    record_offence(ctx, COUNSELLOR, cases[0], "beleidigung", date(2026, 5, 20), date(2026, 5, 25))
    return cases


def test_every_binary_column_of_the_schema_is_rotated():
    listed = {sealed.name for sealed in SEALED_COLUMNS}
    binary = {
        f"{table.name}.{column.name}"
        for table in schema.METADATA.sorted_tables
        for column in table.columns
        if isinstance(column.type, LargeBinary)
    }
    assert binary == listed


def test_rotation_under_load_loses_no_update_and_leaves_nothing_on_the_old_key(ctx, clock):
    cases = _seed(ctx, 40)
    assert sum(remaining(ctx, "test").values()) >= 80
    app, rotation = _restarted(ctx, clock), _restarted(ctx, clock)
    completed: list[tuple[int, float]] = []
    conflicts: list[int] = []
    started = threading.Event()

    def counsellor() -> None:
        for case_id in cases:
            try:
                complete_task(
                    app,
                    COUNSELLOR,
                    task_id_for(app, case_id, "rueckruf"),
                    {"land": "NW", "amt": "x", "schilderung": "y"},
                )
            except ConcurrentUpdate:
                conflicts.append(case_id)
            completed.append((case_id, time.monotonic()))
            started.set()

    worker = threading.Thread(target=counsellor)
    worker.start()
    started.wait(30)
    began = time.monotonic()
    report = rotate(rotation, batch_size=3)
    ended = time.monotonic()
    worker.join(120)
    assert not worker.is_alive()
    assert report.failures == []
    assert conflicts == [], "the rotation never makes a save conflict"
    assert any(began <= moment <= ended for _, moment in completed), (
        "tasks were completed during the rotation"
    )
    # a second run picks up what the counsellor wrote under the old key meanwhile (none: she wrote with neu)
    assert rotate(rotation).failures == []
    assert sum(remaining(rotation, "test").values()) == 0
    assert sum(remaining(rotation).values()) == 0
    # no lost update: every completion is in the stored state and in the tasks
    with app.unit_of_work(writes=False) as session:
        states = session.execute(select(Case.id, Case.state, Case.status, Case.process_version_id)).all()
        open_left = session.scalar(select(func.count()).select_from(Task).where(Task.status == "open"))
        for case_id, state, status, version in states:
            instance = app.runtime.load(
                app.vault.open(state, binding(case_id)), app.process(session, version)
            )
            assert instance.completed and status == "closed", case_id
        assert [n.text for n in case_notes(app, session, cases[5])] == ["Notiz 5"]
        assert case_offences(session, cases[0])[0].learned_of_offender == date(2026, 5, 25)
    assert open_left == 0 and len(completed) == len(cases)
    # the old key can go: the data opens without it
    without_old = build_context(
        rotation.db.url.render_as_string(hide_password=False),
        Vault({"neu": NEW_KEY}, "neu"),
        BusinessCalendar(land="NW"),
        clock,
        index_key=NEW_INDEX_KEY,
    )
    with without_old.unit_of_work(writes=False) as session:
        assert [n.text for n in case_notes(without_old, session, cases[7])] == ["Notiz 7"]
    # the blind index: found under both keys during, under the new key alone after the rotation
    assert cases_with_route(app, app.session_factory(), "telefon", "+491715500003") == [cases[3]]
    assert index_remaining(app) == len(cases)
    recomputed, failures = rotate_index(rotation, batch_size=7)
    assert (recomputed, failures) == (len(cases), [])
    assert index_remaining(rotation, ctx.index_key) == 0
    with without_old.unit_of_work(writes=False) as session:
        assert cases_with_route(without_old, session, "telefon", "+491715500003") == [cases[3]]
    for context in (app, rotation, without_old):
        context.db.dispose()


def test_an_unreadable_value_is_named_and_only_its_case_is_left_out(ctx, clock):
    cases = _seed(ctx, 3)
    with ctx.unit_of_work() as session:
        body = session.scalar(select(CaseNote.body).where(CaseNote.case_id == cases[1]))
        altered = body[:-1] + bytes([body[-1] ^ 1])
        session.execute(update(CaseNote).where(CaseNote.case_id == cases[1]).values(body=altered))
        foreign = Vault({"verloren": b"v" * 32}, "verloren").seal(b"{}", binding(cases[2]))
        session.execute(update(Case).where(Case.id == cases[2]).values(state=foreign))
        session.commit()
    rotation = _restarted(ctx, clock)
    report = rotate(rotation)
    messages = {(f.column, f.case_id): f.message for f in report.failures}
    assert set(messages) == {("case_notes.body", cases[1]), ("cases.state", cases[2])}
    assert "altered" in messages[("case_notes.body", cases[1])]
    assert "'verloren'" in messages[("cases.state", cases[2])]
    assert f"case {cases[2]}" in str(next(f for f in report.failures if f.column == "cases.state"))
    left = {name: n for name, n in remaining(rotation).items() if n}
    assert left == {"case_notes.body": 1, "cases.state": 1}
    with rotation.unit_of_work(writes=False) as session:
        assert [n.text for n in case_notes(rotation, session, cases[0])] == ["Notiz 0"]
        try:
            case_notes(rotation, session, cases[1])
        except VaultError as error:
            assert "altered" in str(error)
        else:
            raise AssertionError("the altered note must not open")
    rotation.db.dispose()
