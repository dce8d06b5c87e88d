"""Each recently changed job's progress over time, for the detail panel's sparkline.

Fed by the store's changes, so a job selected mid-run already has its past minutes
drawn. Bounded both ways: ``max_points`` per job (the oldest go first) and ``max_jobs``
jobs (the one changed longest ago goes first), whatever the monitor watches.
"""

from __future__ import annotations

from collections import OrderedDict, deque
from collections.abc import Iterable
from typing import Final

from jobdesk.core.store import JobKey, StoreChange
from jobdesk.protocol import Status

MAX_POINTS: Final = 240
MAX_JOBS: Final = 500

Point = tuple[float, float]
"""(seconds since the epoch, percent)."""


class ProgressHistory:
    def __init__(self, *, max_points: int = MAX_POINTS, max_jobs: int = MAX_JOBS) -> None:
        self._max_points = max_points
        self._max_jobs = max_jobs
        self._points: OrderedDict[JobKey, deque[Point]] = OrderedDict()

    def changed(self, changes: Iterable[StoreChange], now_s: float) -> None:
        """A store listener (with the time): record each running job's new progress."""
        for change in changes:
            key = (change.server, change.job_id)
            job = change.job
            if job is None:
                self._points.pop(key, None)
                continue
            points = self._points.get(key)
            if job.status is not Status.RUNNING and points is None:
                continue  # only what a job did while it ran is worth a line
            if points is None:
                points = self._points[key] = deque(maxlen=self._max_points)
            else:
                self._points.move_to_end(key)
            if points and job.progress < points[-1][1]:
                points.clear()  # a new attempt starts over: draw this one alone
            if not points or points[-1][1] != job.progress:
                points.append((now_s, job.progress))
            while len(self._points) > self._max_jobs:
                self._points.popitem(last=False)

    def points(self, key: JobKey) -> list[Point]:
        return list(self._points.get(key, ()))

    def __len__(self) -> int:
        return len(self._points)
