"""Statistical disclosure control, in one place, before anything is shown or exported.

A table is a grid of counts with its row and column totals. Primary suppression hides every entry (cell or
total) from 1 to threshold - 1. Secondary suppression then hides more cells until no line (a row with its
total, a column with its total) has exactly one hidden entry — one hidden entry could be recovered by
subtracting the published ones from the total — and until the hidden cells of a line whose total is published
add up to at least the threshold (else their sum, a small number, would be disclosed). An entry hidden for
itself is shown as "< 5" (the threshold), one hidden to protect another as "•". Those marks tell a reader
that a "< 5" entry lies between 1 and 4 and a "•" entry is 0 or at least 5; so a line whose total is
published also gets more entries hidden until none of its hidden entries has a single value that fits
these bounds and the total (e.g. "< 5" and "•" adding up to 6 could only be 1 and 5). Zeros are published
(they concern nobody). Rare categories (office types) are grouped before, and nothing below the Land is
ever counted.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from itertools import chain

DEFAULT_THRESHOLD = 5
WITHHELD = "•"  # hidden to protect another entry


def small(threshold: int) -> str:
    """The mark of an entry hidden because it is below the threshold."""
    return f"< {threshold}"


@dataclass(frozen=True)
class Grid:
    """Counts with margins; ``hidden`` marks entries of the full (rows + 1) x (columns + 1) grid."""

    values: list[list[int]]  # with the totals: last column row totals, last row column totals
    hidden: list[list[bool]]
    threshold: int = DEFAULT_THRESHOLD

    def shown(self, row: int, column: int) -> str:
        value = self.values[row][column]
        if not self.hidden[row][column]:
            return str(value)
        return small(self.threshold) if 0 < value < self.threshold else WITHHELD


def with_margins(cells: list[list[int]]) -> list[list[int]]:
    """The grid of ``cells`` with a total column and a total row."""
    rows = [[*row, sum(row)] for row in cells]
    width = len(rows[0]) if rows else 1
    totals = [sum(row[column] for row in rows) for column in range(width)]
    return [*rows, totals]


def suppress(cells: list[list[int]], threshold: int = DEFAULT_THRESHOLD) -> Grid:
    """The grid of ``cells`` with margins, primary and secondary suppression applied."""
    values = with_margins(cells)
    hidden = [[0 < value < threshold for value in row] for row in values]
    changed = True
    while changed:
        changed = False
        for line in _lines(len(values), len(values[0])):
            if _needs_more(values, hidden, line, threshold):
                changed = _hide_smallest(values, hidden, line) or changed
    return Grid(values, hidden, threshold)


def _lines(rows: int, columns: int) -> list[list[tuple[int, int]]]:
    """Each row and each column as entries, the total last."""
    by_row = [[(row, column) for column in range(columns)] for row in range(rows)]
    by_column = [[(row, column) for row in range(rows)] for column in range(columns)]
    return by_row + by_column


def _needs_more(
    values: list[list[int]], hidden: list[list[bool]], line: list[tuple[int, int]], threshold: int
) -> bool:
    secret = [entry for entry in line if hidden[entry[0]][entry[1]]]
    if len(secret) == 1:
        return True
    total_row, total_column = line[-1]
    if secret and not hidden[total_row][total_column]:
        hidden_sum = sum(values[r][c] for r, c in secret)
        if 0 < hidden_sum < threshold:
            return True
        kinds = [0 < values[r][c] < threshold for r, c in secret]
        return any(_pinned(kinds, i, hidden_sum, threshold) for i in range(len(kinds)))
    return False


def _pinned(small_marks: list[bool], index: int, total: int, threshold: int) -> bool:
    """Whether hidden entry ``index`` of a line has one possible value only, knowing the hidden entries add up
    to ``total``, a "< t" entry lies in 1..t-1 and a "•" entry is 0 or at least t."""
    others = small_marks[:index] + small_marks[index + 1 :]
    low = sum(others)  # each small one at least 1
    high = low * (threshold - 1)
    withheld = len(others) - low

    def others_fit(rest: int) -> bool:
        return low <= rest <= high or (withheld > 0 and rest >= low + threshold)

    least = max(0, total - high) if withheld == 0 else 0  # the others can take at most ``high``
    most = total - low
    candidates: Iterable[int]
    if small_marks[index]:
        candidates = range(max(1, least), min(threshold - 1, most) + 1)
    else:
        zero = [0] if least <= 0 <= most else []
        candidates = chain(zero, range(max(threshold, least), most + 1))
    found = 0
    for value in candidates:
        if others_fit(total - value):
            found += 1
            if found > 1:
                return False
    return True


def _hide_smallest(values: list[list[int]], hidden: list[list[bool]], line: list[tuple[int, int]]) -> bool:
    """Hide the smallest published cell of the line (non-zero preferred, the total last)."""
    open_cells = [entry for entry in line[:-1] if not hidden[entry[0]][entry[1]]]
    if not open_cells:
        open_cells = [entry for entry in line if not hidden[entry[0]][entry[1]]]
    if not open_cells:
        return False
    row, column = min(
        open_cells, key=lambda entry: (values[entry[0]][entry[1]] == 0, values[entry[0]][entry[1]])
    )
    hidden[row][column] = True
    return True


def group_rare(counts: dict[str, int], threshold: int, into: str) -> dict[str, int]:
    """Categories with fewer than ``threshold`` cases go into one group ``into``."""
    grouped: dict[str, int] = {}
    for key, count in counts.items():
        target = into if 0 < count < threshold else key
        grouped[target] = grouped.get(target, 0) + count
    return grouped
