"""The controller's part for the History view: its requests become tasks, their answers
come back to it.

- ``search_requested`` and ``load_older_requested`` run ``client.history.HistoryBrowser``
  (the I/O); its rows reach the view's model, its status ``show_status``.
- The first time the view is shown, it searches with the filters as they are (the
  newest page); later shows keep what was read, and the operator searches again.
- The selected row is fetched whole for the view's detail panel by a
  ``client.details.DetailFollower`` of its own, as the jobs view's panel is (the
  ``/detail`` endpoint answers for jobs that left the live set too). A job still in the
  live set is shown by the newest copy the monitor has: the row, the store's or the
  one fetched, whichever has the highest version.
- Rows of jobs still in the live set show the newest state the monitor has of them
  (the store's, as it changes), in place: a job read as running does not stay so in
  the view once it ends. Searching again is what filters anew.
- The servers offered are the watched ones, those that keep a history first; a server
  whose kind keeps none is said so by the view.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from jobdesk.client.details import Detail, DetailFollower
from jobdesk.client.history import HistoryBrowser
from jobdesk.client.monitor import Monitor
from jobdesk.core.history import HistoryFilter, RowsChange
from jobdesk.core.store import JobKey, JobStore, StoreChange
from jobdesk.gui.history_view import HistoryView
from jobdesk.protocol import JobSummary

Spawn = Callable[[Coroutine[Any, Any, None]], None]


class HistoryWiring:
    def __init__(self, view: HistoryView, store: JobStore, monitor: Monitor, spawn: Spawn) -> None:
        self._view = view
        self._store = store
        self._monitor = monitor
        self._spawn = spawn
        self.browser = HistoryBrowser(
            monitor.fetch_history,
            lambda server: server in monitor.servers_with_history(),
            rows=view.rows,
        )
        self.browser.status.subscribe(view.show_status)
        self.details = DetailFollower(store, monitor.fetch_job, self._detail_arrived)
        self._key: JobKey | None = None
        self._detail: Detail | None = None
        self._searched_once = False
        view.search_requested.connect(self._search)
        view.load_older_requested.connect(lambda: spawn(self.browser.load_older()))
        view.job_selected.connect(self._select)
        view.visibility_changed.connect(self._visibility_changed)
        store.subscribe(self._store_changed)
        self.browser.rows.subscribe(self._rows_changed)
        spawn(self.details.run())

    def servers_changed(self) -> None:
        """A server was added or removed: offer the watched ones; the one shown gone,
        search the one now chosen (if the view was ever looked at)."""
        readable = set(self._monitor.servers_with_history())
        names = sorted(self._monitor.engines, key=lambda name: name not in readable)
        self._view.set_servers(names)
        shown = self.browser.status.value.server
        if self._searched_once and shown != self._view.current_server():
            self._view.request_search()

    # --- the view's requests -----------------------------------------------------------

    def _search(self, server: str, wanted: HistoryFilter) -> None:
        self._searched_once = True
        self._spawn(self.browser.search(server, wanted))

    def _visibility_changed(self, shown: bool) -> None:
        if not shown:
            return
        self.servers_changed()
        types = {job.job_type for _, job in self._store.items()}
        types.update(job.job_type for job in self.browser.rows)
        self._view.set_job_types(sorted(types, key=str.casefold))
        if not self._searched_once:
            self._view.request_search()  # none watched: the view says so already

    def _select(self, key: JobKey | None) -> None:
        if key != self._key:
            self._detail = None
        self._key = key
        self.details.follow(key)
        self._show()

    # --- the selected job --------------------------------------------------------------

    def _detail_arrived(self, detail: Detail) -> None:
        if detail.key == self._key:
            self._detail = detail
            self._show()

    def _store_changed(self, changes: list[StoreChange]) -> None:
        rows = self.browser.rows
        server = self.browser.status.value.server
        if len(rows) and server is not None:
            rows.refresh(c.job for c in changes if c.server == server and c.job is not None)
        key = self._key
        if key is not None and any((c.server, c.job_id) == key for c in changes):
            self._show()

    def _rows_changed(self, change: RowsChange) -> None:
        """Rows just read may be older than the store's copies of their jobs."""
        server = self.browser.status.value.server
        if server is None or not (change.reset or change.added):
            return
        rows = self.browser.rows
        fresh = rows.jobs if change.reset else rows.jobs[-change.added :]
        stored = (self._store.get((server, job.id)) for job in fresh)
        rows.refresh(job for job in stored if job is not None)

    def _show(self) -> None:
        panel = self._view.detail
        key = self._key
        if key is None:
            panel.show_job(None)
            return
        detail = self._detail if self._detail is not None and self._detail.key == key else None
        row = self.browser.rows.row_of(key[1])
        copies: list[JobSummary] = [
            job
            for job in (
                self.browser.rows.jobs[row] if row is not None else None,
                self._store.get(key),
                detail.job if detail is not None else None,
            )
            if job is not None
        ]
        if not copies:
            panel.show_job(None)
            return
        newest = max(copies, key=lambda job: job.version)
        note = ""
        if detail is not None and detail.missing:
            note = "The server no longer has this job's log and attempts."
        elif detail is not None and detail.error:
            note = f"Log and attempts not refreshed: {detail.error}"
        panel.show_job(newest, detail=detail.job if detail is not None else None, detail_note=note)
