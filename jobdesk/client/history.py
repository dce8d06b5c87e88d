"""A server's history read for the History view, a page at a time: the I/O the view lacks.

The view asks (``search`` with a server and a filter, ``load_older``) and shows what
this publishes: the rows (``core.history.HistoryRows``, bounded, newest first) and a
``HistoryStatus`` (loading, the error of the last request, whether older jobs match,
how many rows were let go to stay within the cap). The rows are read as summaries; the
selected one is fetched whole for the detail panel (``DetailFollower``), as in the jobs
view.

A request overtaken by a newer search is dropped when it answers: the operator sees the
answer to what they asked last. A failed search empties the rows (they were another
filter's); a failed "Load older" keeps them, and its cursor, so asking again retries.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace

from jobdesk.client.details import FETCH_ERRORS, describe
from jobdesk.client.errors import RequestRefused
from jobdesk.core.history import MAX_ROWS, HistoryFilter, HistoryRows
from jobdesk.core.observable import Observable
from jobdesk.protocol import JobSummary
from jobdesk.protocol.rest import HistoryPage

log = logging.getLogger(__name__)

FetchHistory = Callable[[str, HistoryFilter, str | None], Awaitable[HistoryPage[JobSummary]]]
"""One page of a server's history: (server, filter, cursor)."""

HISTORY_ERRORS = (*FETCH_ERRORS, RequestRefused)


@dataclass(frozen=True, slots=True)
class HistoryStatus:
    server: str | None = None
    """The server searched (None: none chosen yet)."""
    wanted: HistoryFilter = field(default_factory=HistoryFilter)
    readable: bool = True
    """False when the server's kind keeps no history jobdesk can read."""
    loading: bool = False
    searched: bool = False
    """The current search's first page arrived (or failed): the rows are its answer."""
    more: bool = False
    """Older jobs match: "Load older" has a page to ask for."""
    error: str = ""
    """Why the last request failed; "" when it succeeded."""
    error_field: str | None = None
    """The filter field the server named for a refused request (``from``, ``status``)."""
    shown: int = 0
    dropped: int = 0
    """Newest rows let go to stay within the cap since the search (0: none)."""


class HistoryBrowser:
    """Reads one server's history for the view; call its coroutines as tasks."""

    def __init__(
        self,
        fetch: FetchHistory,
        readable: Callable[[str], bool],
        *,
        cap: int = MAX_ROWS,
        rows: HistoryRows | None = None,
    ) -> None:
        """``rows``: where to keep the rows (a view's, already adapted to Qt); otherwise
        a new ``HistoryRows`` of ``cap``."""
        self._fetch = fetch
        self._readable = readable
        self.rows = rows if rows is not None else HistoryRows(cap)
        self.status: Observable[HistoryStatus] = Observable(HistoryStatus())
        self._cursor: str | None = None
        self._generation = 0
        self.fetches = 0
        """Requests made so far (tests count them)."""

    async def search(self, server: str | None, wanted: HistoryFilter) -> None:
        """The newest page of ``server``'s jobs matching ``wanted``, replacing the rows."""
        self._generation += 1
        generation = self._generation
        self._cursor = None
        if server is None or not self._readable(server):
            self.rows.reset()
            self.status.set(HistoryStatus(server, wanted, readable=server is None, searched=True))
            return
        self._set(HistoryStatus(server, wanted, loading=True, shown=len(self.rows)))
        page = await self._read(server, wanted, None, generation)
        if page is None:
            if generation == self._generation:
                self.rows.reset()
                self._set(replace(self.status.value, loading=False, searched=True, shown=0))
            return
        self.rows.reset(page.jobs)
        self._cursor = page.next_cursor
        self._set(HistoryStatus(server, wanted, searched=True, more=self._cursor is not None))

    async def load_older(self) -> None:
        """The next, older page after the rows, appended (the newest let go past the cap)."""
        status = self.status.value
        if self._cursor is None or status.loading or status.server is None:
            return
        generation = self._generation
        self._set(replace(status, loading=True, error="", error_field=None))
        page = await self._read(status.server, status.wanted, self._cursor, generation)
        if page is None:
            if generation == self._generation:
                self._set(replace(self.status.value, loading=False))
            return
        self.rows.extend(page.jobs)
        self._cursor = page.next_cursor
        self._set(replace(self.status.value, loading=False, more=self._cursor is not None))

    async def _read(
        self, server: str, wanted: HistoryFilter, cursor: str | None, generation: int
    ) -> HistoryPage[JobSummary] | None:
        """The page, or None when it failed (said in the status) or was overtaken."""
        self.fetches += 1
        try:
            page = await self._fetch(server, wanted, cursor)
        except HISTORY_ERRORS as exc:
            self._failed(exc, generation)
            return None
        except Exception as exc:  # a bug must not leave the view loading for good
            log.exception("reading %s's history failed", server)
            self._failed(exc, generation)
            return None
        return page if generation == self._generation else None

    def _failed(self, exc: BaseException, generation: int) -> None:
        if generation != self._generation:
            return
        field = exc.field if isinstance(exc, RequestRefused) else None
        self.status.set(replace(self.status.value, error=describe(exc), error_field=field))

    def _set(self, status: HistoryStatus) -> None:
        self.status.set(replace(status, shown=len(self.rows), dropped=self.rows.dropped))
