"""Disclosure control over random tables (Hypothesis): nothing small is published, nothing hidden is derivable."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from engine.statistics.disclosure import group_rare, suppress

THRESHOLD = 5
tables = st.integers(1, 6).flatmap(
    lambda columns: st.lists(
        st.lists(st.integers(0, 40), min_size=columns, max_size=columns), min_size=1, max_size=6
    )
)


def _lines(rows: int, columns: int) -> list[list[tuple[int, int]]]:
    return [[(r, c) for c in range(columns)] for r in range(rows)] + [
        [(r, c) for r in range(rows)] for c in range(columns)
    ]


@settings(max_examples=400, deadline=None)
@given(tables, st.integers(2, 10))
def test_no_published_entry_is_below_the_threshold(cells: list[list[int]], threshold: int) -> None:
    grid = suppress(cells, threshold)
    for row, values in enumerate(grid.values):
        for column, value in enumerate(values):
            if not grid.hidden[row][column]:
                assert value == 0 or value >= threshold


@settings(max_examples=400, deadline=None)
@given(tables)
def test_no_hidden_entry_follows_from_a_published_total(cells: list[list[int]]) -> None:
    grid = suppress(cells, THRESHOLD)
    for line in _lines(len(grid.values), len(grid.values[0])):
        secret = [(r, c) for r, c in line if grid.hidden[r][c]]
        # one hidden entry in a row or column with its total = total minus the published entries
        assert len(secret) != 1
        total = line[-1]
        if secret and not grid.hidden[total[0]][total[1]]:
            # the hidden cells' sum is published implicitly: it must not itself be a small number
            assert (
                sum(grid.values[r][c] for r, c in secret) == 0
                or sum(grid.values[r][c] for r, c in secret) >= THRESHOLD
            )


@settings(max_examples=200, deadline=None)
@given(tables)
def test_hidden_cells_do_not_follow_from_all_equations_together(cells: list[list[int]]) -> None:
    """Solve row and column equations repeatedly: a line with one unknown left fixes it; none may be fixed."""
    grid = suppress(cells, THRESHOLD)
    unknown = {(r, c) for r, row in enumerate(grid.hidden) for c, hidden in enumerate(row) if hidden}
    primary = {(r, c) for r, c in unknown if 0 < grid.values[r][c] < THRESHOLD}
    solved: set[tuple[int, int]] = set()
    progress = True
    while progress:
        progress = False
        for line in _lines(len(grid.values), len(grid.values[0])):
            left = [entry for entry in line if entry in unknown and entry not in solved]
            if len(left) == 1:
                solved.add(left[0])
                progress = True
    assert not (solved & primary)


def test_a_lone_small_cell_takes_the_smallest_other_cell_with_it() -> None:
    grid = suppress([[2, 7, 30]], THRESHOLD)
    assert grid.hidden[0] == [True, True, False, False]


def test_rare_categories_are_grouped() -> None:
    assert group_rare({"a": 2, "b": 1, "c": 9, "d": 0}, THRESHOLD, "weitere") == {
        "weitere": 3,
        "c": 9,
        "d": 0,
    }
