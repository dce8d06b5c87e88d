"""Counts per state (a job's status, or stale) for the status bar.

The model keeps the count per status up to date change by change (counting 100,000
jobs on every batch would cost more than the batch itself) and hands out snapshots.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from jobdesk.gui.models.filtering import StatusFilter
from jobdesk.gui.models.states import State


@dataclass(frozen=True)
class StatusCounts:
    """How many jobs each status filter would show, and how many rows are shown now."""

    by_state: dict[State, int] = field(default_factory=dict)
    """Stale jobs are counted as stale, not under their status (running)."""
    shown: int = 0
    """Rows passing the current search and status filter."""

    def of(self, kind: StatusFilter) -> int:
        return sum(self.by_state.get(state, 0) for state in kind.states)

    @property
    def total(self) -> int:
        return sum(self.by_state.values())
