"""The REST calls the engine makes: the snapshot, the resync since a seq, and one job whole;
and the ones the views make: the queue overview, the history a page at a time.

Snapshots are read as summaries (``JobSummary``): the monitor keeps 100,000 jobs, and
only the selected one's log, sub-operations, payload, result and history are shown, so
only that one is fetched whole (``job``).

The server answers a list a page at a time (docs/server.md, "Paging"). A snapshot is
read page by page (jobs in id order, each page at the live state), then resynced
``since`` the first page's seq, also page by page: what changed while the pages were
read. Together they are exactly the server's state at the seq the resync ends at. Each
page is one request, so the client's event loop runs between pages, and so does the
server's: a reader of 100,000 jobs never holds either for longer than one page.

A snapshot's jobs are decoded one at a time as the store takes them (``JobsRead.jobs``
is lazy), so the strings the store's compaction frees for one job are reused by the
next one's decoding: decoded all at once, they left 230 bytes per job of freed memory
the process could not give back (docs/benchmarks.md). Each page's body is let go of
once its jobs are decoded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from itertools import chain
from typing import Any, Final
from urllib.parse import quote

import httpx
import msgspec

from jobdesk.client.errors import AuthRejected, ProtocolBroken, RequestRefused, ResyncRequired
from jobdesk.client.pool import LIMITS
from jobdesk.core.history import HistoryFilter
from jobdesk.protocol import ErrorBody, Job, JobSummary
from jobdesk.protocol.models import AnyJob
from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import MAX_PAGE, HistoryPage

HISTORY_PAGE: Final = 200
"""Jobs per history page the monitor asks for (the server allows 1 to 500)."""
SNAPSHOT_TRIES: Final = 3
"""Snapshots started over (the history ran out, or the database changed, while the
pages were read) before giving up on this connection."""


class _RawPage(msgspec.Struct, rename="camel", kw_only=True):
    """A page of ``GET /api/jobs`` with each job left as its JSON text, a view into the body."""

    epoch: str
    seq: int
    jobs: list[msgspec.Raw]
    removed: list[str] = []
    next_cursor: str | None = None


@dataclass(frozen=True)
class JobsRead:
    """A snapshot or a resync as the monitor reads it: the jobs decoded as they are
    iterated (once), each as a summary."""

    epoch: str
    seq: int
    jobs: Iterator[JobSummary]
    removed: list[str]


_decode_raw_page = msgspec.json.Decoder(_RawPage).decode
_decode_summary = msgspec.json.Decoder(JobSummary).decode
_decode_job = msgspec.json.Decoder(Job).decode
_decode_overview = msgspec.json.Decoder(QueueOverview).decode
_decode_error = msgspec.json.Decoder(ErrorBody).decode
_history_decoders: dict[type[Any], msgspec.json.Decoder[Any]] = {}


def history_params(
    wanted: HistoryFilter, *, limit: int = HISTORY_PAGE, cursor: str | None = None
) -> dict[str, str | int]:
    """The query of ``GET /api/history`` for ``wanted`` (blank filters are left out)."""
    given = {
        "status": wanted.status,
        "jobType": wanted.job_type,
        "owner": wanted.owner,
        "q": wanted.text,
        "from": wanted.created_from,
        "to": wanted.created_to,
        "cursor": cursor,
    }
    params: dict[str, str | int] = {k: v for k, v in given.items() if v}
    params["limit"] = limit
    return params


def _decoded(pages: list[_RawPage]) -> Iterator[JobSummary]:
    """The pages' jobs in order, decoded one at a time; a page is dropped once read."""
    pages.reverse()
    while pages:
        yield from map(_decode_summary, pages.pop().jobs)


class RestApi:
    def __init__(
        self, base_url: str, token: str, *, timeout: float, page_size: int = MAX_PAGE
    ) -> None:
        self._page_size = page_size
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            limits=LIMITS,
        )

        self.on_answer: Callable[[], None] | None = None
        """Called whenever the server answers a request (not a 5xx, which a proxy says for
        a server that is not there): it is alive, for the engine's measure of silence
        while a long snapshot is read."""

    def set_token(self, token: str) -> None:
        self._http.headers["Authorization"] = f"Bearer {token}"

    def set_base_url(self, base_url: str) -> None:
        """Send the next requests to another server (a replica of the same cluster)."""
        self._http.base_url = base_url

    @property
    def base_url(self) -> str:
        return str(self._http.base_url).rstrip("/")

    async def aclose(self) -> None:
        await self._http.aclose()

    async def snapshot(self) -> JobsRead:
        """Every job: the pages of a snapshot, then the resync of what changed meanwhile."""
        for _ in range(SNAPSHOT_TRIES):
            pages = await self._pages({})
            epoch, seq = pages[0].epoch, pages[0].seq
            try:
                delta = await self.since(seq, epoch)
            except ResyncRequired:
                continue  # the history moved past the first page's seq: start over
            gone = set(delta.removed)
            jobs = (job for job in chain(_decoded(pages), delta.jobs) if job.id not in gone)
            return JobsRead(epoch, delta.seq, jobs, [])
        raise ProtocolBroken(f"no consistent snapshot in {SNAPSHOT_TRIES} tries")

    async def since(self, seq: int, epoch: str) -> JobsRead:
        """What changed after ``seq``, every page of it; ResyncRequired (410) when the
        server cannot say."""
        pages = await self._pages({"since": seq, "epoch": epoch})
        removed = [job_id for page in pages for job_id in page.removed]
        return JobsRead(epoch, pages[-1].seq, _decoded(pages), removed)

    async def job(self, job_id: str) -> Job | None:
        """One job whole (``GET /api/jobs/{id}/detail``), or None when the server has no
        such job (removed by retention, or another server's)."""
        response = await self._get(f"/api/jobs/{quote(job_id, safe='')}/detail")
        if response.status_code == 404:
            return None
        self._check(response)
        return _decode_job(response.content)

    async def overview(self) -> QueueOverview:
        """Workers and queues (``GET /api/queue/overview``), for the workers view."""
        response = await self._get("/api/queue/overview")
        self._check(response)
        return _decode_overview(response.content)

    async def history(
        self,
        wanted: HistoryFilter,
        as_type: type[AnyJob],
        *,
        limit: int = HISTORY_PAGE,
        cursor: str | None = None,
    ) -> HistoryPage[AnyJob]:
        """One page of every job the server's database keeps (``GET /api/history``),
        newest created first, each decoded as ``as_type`` (``JobSummary`` for a view,
        ``Job`` for the whole); ``RequestRefused`` for a filter the server cannot use."""
        params = history_params(wanted, limit=limit, cursor=cursor)
        response = await self._http.get("/api/history", params=params)
        if response.status_code == 400:
            raise _refusal(response)
        self._check(response)
        decoder = _history_decoders.get(as_type)
        if decoder is None:
            decoder = _history_decoders[as_type] = msgspec.json.Decoder(HistoryPage[as_type])  # type: ignore[valid-type]
        page: HistoryPage[AnyJob] = decoder.decode(response.content)
        return page

    async def _pages(self, query: dict[str, int | str]) -> list[_RawPage]:
        """Every page of one list, following ``nextCursor``; ResyncRequired when the
        server answers 410 or its epoch changes between pages."""
        pages: list[_RawPage] = []
        params: dict[str, int | str] = {**query, "limit": self._page_size}
        while True:
            response = await self._get("/api/jobs", params=params)
            if response.status_code == 410:
                raise ResyncRequired(response.text)
            self._check(response)
            page = _decode_raw_page(response.content)
            if pages and page.epoch != pages[0].epoch:
                raise ResyncRequired(f"the server's epoch changed to {page.epoch} mid-read")
            pages.append(page)
            if page.next_cursor is None:
                return pages
            params["cursor"] = page.next_cursor

    async def _get(self, path: str, params: dict[str, int | str] | None = None) -> httpx.Response:
        response = await self._http.get(path, params=params)
        if self.on_answer is not None and response.status_code < 500:
            self.on_answer()
        return response

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise AuthRejected(f"the server refused the token (HTTP {response.status_code})")
        response.raise_for_status()


def _refusal(response: httpx.Response) -> RequestRefused:
    """A 400's error body as an exception; one that is not the server's own says so."""
    try:
        detail = _decode_error(response.content).error
    except (msgspec.ValidationError, msgspec.DecodeError):
        return RequestRefused("INVALID_INPUT", "the server refused the request (HTTP 400)")
    return RequestRefused(detail.code.value, detail.message, detail.field)
