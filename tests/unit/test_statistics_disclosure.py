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


@settings(max_examples=400, deadline=None)
@given(tables, st.integers(3, 8))
def test_hidden_entries_are_marked_by_why_they_are_hidden(cells: list[list[int]], threshold: int) -> None:
    grid = suppress(cells, threshold)
    for row, values in enumerate(grid.values):
        for column, value in enumerate(values):
            shown = grid.shown(row, column)
            if not grid.hidden[row][column]:
                assert shown == str(value)
            elif 0 < value < threshold:
                assert shown == f"< {threshold}"
            else:
                assert shown == "•" and (value == 0 or value >= threshold)


def _sums(domains: list[tuple[int, int]], limit: int) -> int:
    """The sums (up to ``limit``) that entries with these domains can reach, as a bit set; a domain (1, t-1)
    is the range of a "< t" entry, (t, 0) that of a "•" entry (0 or at least t)."""
    reach = 1  # the empty sum 0
    everything = (1 << (limit + 1)) - 1
    for low, high in domains:
        if high:  # low..high
            reach = _union(reach, low, high)
        else:  # 0, or low and more
            least = (reach & -reach).bit_length() - 1
            reach |= everything & ~((1 << (least + low)) - 1)
        reach &= everything
    return reach


def _union(reach: int, low: int, high: int) -> int:
    result = 0
    for value in range(low, high + 1):
        result |= reach << value
    return result


@settings(max_examples=300, deadline=None)
@given(tables, st.integers(3, 8))
def test_no_hidden_entry_has_one_value_left_by_its_mark_and_its_line(
    cells: list[list[int]], threshold: int
) -> None:
    """A reader knows a "< t" entry is 1..t-1 and a "•" entry 0 or at least t; with a published total, every
    hidden entry of the line must still have two or more possible values."""
    grid = suppress(cells, threshold)

    def domain(entry: tuple[int, int]) -> tuple[int, int]:
        value = grid.values[entry[0]][entry[1]]
        return (1, threshold - 1) if 0 < value < threshold else (threshold, 0)

    for line in _lines(len(grid.values), len(grid.values[0])):
        total = line[-1]
        secret = [(r, c) for r, c in line[:-1] if grid.hidden[r][c]]
        if not secret or grid.hidden[total[0]][total[1]]:
            continue
        hidden_sum = sum(grid.values[r][c] for r, c in secret)
        for entry in secret:
            others = _sums([domain(other) for other in secret if other != entry], hidden_sum)
            low, high = domain(entry)
            values = range(low, high + 1) if high else [0, *range(low, hidden_sum + 1)]
            possible = [v for v in values if v <= hidden_sum and others >> (hidden_sum - v) & 1]
            assert len(possible) >= 2, (entry, possible)


def test_a_small_entry_and_its_protector_that_add_up_to_one_more_than_the_threshold_take_a_third() -> None:
    """1 and 5 hidden alone in a row of total 37 would be pinned down: "< 5" + "•" = 6 fits 1 + 5 only; so
    the third entry is withheld too."""
    grid = suppress([[1, 5, 31]], THRESHOLD)
    assert grid.shown(0, 0) == "< 5" and grid.hidden[0] == [True, True, True, False]


def test_a_lone_small_cell_takes_the_smallest_other_cell_with_it() -> None:
    grid = suppress([[2, 7, 30]], THRESHOLD)
    assert grid.hidden[0] == [True, True, False, False]


def test_rare_categories_are_grouped() -> None:
    assert group_rare({"a": 2, "b": 1, "c": 9, "d": 0}, THRESHOLD, "weitere") == {
        "weitere": 3,
        "c": 9,
        "d": 0,
    }
