"""Progress history per job, fed from the store, for the detail panel's ETA."""

from __future__ import annotations

import time
from collections.abc import Callable

from jobdesk.core.eta import ProgressHistory, format_duration
from jobdesk.core.store import JobKey, StoreChange

MAX_TRACKED = 5000
"""Histories kept; the oldest are dropped first (only running jobs need one)."""


class EtaTracker:
    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._histories: dict[JobKey, ProgressHistory] = {}

    def changed(self, changes: list[StoreChange]) -> None:
        now = self._clock()
        for change in changes:
            key = (change.server, change.job_id)
            job = change.job
            if job is None or job.status.is_terminal:
                self._histories.pop(key, None)
                continue
            history = self._histories.pop(key, None) or ProgressHistory()
            history.add(now, job.progress)
            self._histories[key] = history  # re-inserted: most recently updated last
        while len(self._histories) > MAX_TRACKED:
            del self._histories[next(iter(self._histories))]

    def eta_text(self, key: JobKey, percent: float) -> str:
        history = self._histories.get(key)
        seconds = None if history is None else history.eta_seconds(percent)
        return "" if seconds is None else f"about {format_duration(seconds)} left"
