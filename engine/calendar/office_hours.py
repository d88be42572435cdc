"""Office hours: the daily opening and closing time and the open weekdays, in local wall time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time


@dataclass(frozen=True)
class OfficeHours:
    """Daily opening time, closing time and open weekdays (Monday=0) in local wall time."""

    opens: time = time(9, 0)
    closes: time = time(16, 0)
    weekdays: frozenset[int] = frozenset({0, 1, 2, 3, 4})

    def __post_init__(self) -> None:
        if self.opens.tzinfo is not None or self.closes.tzinfo is not None:
            raise ValueError("office hours must be naive local wall times")
        if self.opens >= self.closes:
            raise ValueError(f"opening time {self.opens} must be before closing time {self.closes}")
        if not self.weekdays or not self.weekdays <= frozenset(range(7)):
            raise ValueError(f"weekdays must be a non-empty subset of 0..6, got {sorted(self.weekdays)}")
