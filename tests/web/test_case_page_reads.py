"""What one view of the case page asks the database: the empty panels are not asked at all."""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event

from engine.cases.lifecycle import open_case
from engine.cases.notes import add_note
from tests.conftest import COUNSELLOR


@contextmanager
def statements(ctx):
    seen: list[str] = []

    def count(_connection, _cursor, statement, *_args):
        seen.append(statement)

    event.listen(ctx.db, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(ctx.db, "before_cursor_execute", count)


def test_a_case_with_empty_panels_is_read_in_few_statements(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    auth.login()
    client.get(f"/faelle/{case_id}")  # the model and the session are read once
    with statements(deployed) as seen:
        assert client.get(f"/faelle/{case_id}").status_code == 200
    tables = (
        "case_notes",
        "strafantraege",
        "evidence_items",
        "consent_records",
        "appointments",
        "case_contacts",
    )
    reads = [statement for statement in seen if statement.lstrip().upper().startswith(("SELECT", "INSERT"))]
    own = [statement for statement in reads if "EXISTS" not in statement]  # not the panels' flags
    asked = [table for table in tables if any(f"FROM {table}" in statement for statement in own)]
    assert asked == [] and len(reads) <= 12, reads


def test_a_panel_with_rows_is_still_read(deployed, client, auth):
    case_id = open_case(deployed, COUNSELLOR).case_id
    add_note(deployed, COUNSELLOR, case_id, "Rückruf am Dienstag vereinbart")
    auth.login()
    with statements(deployed) as seen:
        page = client.get(f"/faelle/{case_id}").get_data(as_text=True)
    assert "Rückruf am Dienstag vereinbart" in page
    assert any("FROM case_notes" in statement for statement in seen)
