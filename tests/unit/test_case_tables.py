"""Every table that refers to a case is declared with what the purge and the erasure leave of it."""

from __future__ import annotations

from engine.cases.case_tables import AFTER_PURGE
from engine.store.schema import METADATA


def test_every_table_that_refers_to_a_case_is_declared():
    referring = {
        table.name
        for table in METADATA.sorted_tables
        if table.name == "cases"
        or any(key.column.table.name == "cases" for key in table.foreign_keys)
        or "case_id" in table.columns
    }
    assert referring == set(AFTER_PURGE), "declare the new table in engine/cases/case_tables.py"
