"""Several counts over the same rows in one pass: each facet groups the rows by its own key columns.

On PostgreSQL the facets are one query with GROUPING SETS (the rows are read once, ``GROUPING()`` tells
which facet a result row belongs to); elsewhere (SQLite) each facet is its own GROUP BY. Both give the
same counts. PostgreSQL cannot estimate how many groups a computed key (the span of a row) has and so
assumes as many groups as rows, and with the default ``work_mem`` sorts the rows once per facet; hashing all
facets in one pass is several times faster, so the statistics queries plan with more memory (see
``reporting_plans``; the groups actually held are few, codes per month, and a hash aggregate spills to disk
beyond its memory anyway).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Subquery, func, select, text, tuple_
from sqlalchemy.orm import Session

REPORTING_PLANS = {"jit": "off", "work_mem": "256MB"}
Facets = Mapping[str, Sequence[str]]  # figure -> the names of its key columns in the rows


@contextmanager
def reporting_plans(session: Session) -> Iterator[None]:
    """PostgreSQL settings for the statistics queries, for their duration within the transaction: no JIT
    (compiling costs more than these scans of seconds at most) and memory to plan the facets' hashing."""
    if session.get_bind().dialect.name != "postgresql":
        yield
        return
    names = tuple(REPORTING_PLANS)
    before = session.execute(text("SELECT " + ", ".join(f"current_setting('{n}')" for n in names))).one()
    for name, value in REPORTING_PLANS.items():
        session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})
    try:
        yield
    finally:
        for name, value in zip(names, before, strict=True):
            session.execute(text("SELECT set_config(:name, :value, true)"), {"name": name, "value": value})


def count_facets(
    session: Session, rows: Subquery, facets: Facets
) -> Iterator[tuple[str, tuple[Any, ...], int]]:
    """(figure, key values in the facet's order, count) for every group of every facet."""
    if session.get_bind().dialect.name == "postgresql":
        yield from _grouping_sets(session, rows, facets)
        return
    for figure, names in facets.items():
        columns = [rows.c[name] for name in names]
        for *keys, count in session.execute(select(*columns, func.count()).group_by(*columns)):
            yield figure, tuple(keys), count


def _grouping_sets(
    session: Session, rows: Subquery, facets: Facets
) -> Iterator[tuple[str, tuple[Any, ...], int]]:
    names = list(dict.fromkeys(name for keys in facets.values() for name in keys))
    columns = [rows.c[name] for name in names]
    by_mask: dict[int, tuple[str, list[int]]] = {}
    for figure, keys in facets.items():
        # GROUPING(a, b, c) sets the bit of each column left out of the row's set, the first column highest
        mask = sum(1 << (len(names) - 1 - i) for i, name in enumerate(names) if name not in keys)
        if mask in by_mask:
            raise ValueError(f"facets {by_mask[mask][0]} and {figure} group by the same columns")
        by_mask[mask] = (figure, [names.index(name) for name in keys])
    sets = [tuple_(*(rows.c[name] for name in keys)) for keys in facets.values()]
    query = select(*columns, func.grouping(*columns), func.count()).group_by(func.grouping_sets(*sets))
    found = session.execute(query).all()
    for *values, mask, count in found:
        figure, positions = by_mask[mask]
        yield figure, tuple(values[i] for i in positions), count
