"""The controller's part for workers and queues: the overview follower and the sparkline.

- The overviews are followed (``client.overviews``) while the workers view is shown, or
  while the detail panel shows a waiting job (to say when no worker serves its type).
- Each running job's progress is kept (``core.progress_history``, bounded) from the
  store's changes, and the selected job's drawn as the detail panel's sparkline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Coroutine
from typing import Any

from jobdesk.client.monitor import Monitor
from jobdesk.client.overviews import OverviewFollower, ServerOverview
from jobdesk.core.progress_history import ProgressHistory
from jobdesk.core.store import JobKey, JobStore, StoreChange
from jobdesk.gui.detail_panel import DetailPanel
from jobdesk.gui.queue_warnings import WAITING, job_note
from jobdesk.gui.workers_view import WorkersView
from jobdesk.protocol import JobSummary

Spawn = Callable[[Coroutine[Any, Any, None]], None]


class WorkersWiring:
    def __init__(
        self,
        view: WorkersView,
        panel: DetailPanel,
        store: JobStore,
        monitor: Monitor,
        spawn: Spawn,
        *,
        interval: float = 3.0,
    ) -> None:
        self._view = view
        self._panel = panel
        self.follower = OverviewFollower(
            monitor.servers_with_workers, monitor.fetch_overview, interval=interval
        )
        self.history = ProgressHistory()
        self._selected: tuple[JobKey, JobSummary | None] | None = None
        store.subscribe(self._store_changed)
        self.follower.overviews.subscribe(self._overviews_changed)
        view.visibility_changed.connect(lambda shown: self.follower.want("view", shown))
        spawn(self.follower.run())

    def show_selected(self, key: JobKey | None, job: JobSummary | None) -> None:
        """The detail panel shows ``job`` (None: nothing): its sparkline and queue note."""
        self._selected = None if key is None else (key, job)
        self.follower.want("panel", job is not None and job.status in WAITING)
        self._show_panel()

    def _show_panel(self) -> None:
        if self._selected is None:
            self._panel.show_progress_history([])
            self._panel.show_queue_note("")
            return
        key, job = self._selected
        overview = self.follower.overviews.value.get(key[0])
        self._panel.show_progress_history(self.history.points(key))
        self._panel.show_queue_note(job_note(job, overview.overview if overview else None))

    def _store_changed(self, changes: list[StoreChange]) -> None:
        self.history.changed(changes, time.time())

    def _overviews_changed(self, overviews: dict[str, ServerOverview]) -> None:
        self._view.show_overviews(overviews)
        self._show_panel()
