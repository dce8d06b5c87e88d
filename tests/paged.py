"""A real server's whole list of jobs, read as the protocol says a client must, for tests
that compare with it: the snapshot page by page, then the resync ``since`` the first
page's seq, page by page (docs/server.md, "Paging"). The result is the server's state at
the resync's last seq, however the jobs changed meanwhile.
"""

from __future__ import annotations

from typing import Any, TypeVar

import httpx
import msgspec

from jobdesk.protocol import JobSummary
from jobdesk.protocol.rest import MAX_PAGE, Snapshot

T = TypeVar("T", bound=JobSummary)


def _params(query: dict[str, Any], cursor: str | None) -> dict[str, Any]:
    return {**query, "limit": MAX_PAGE, **({"cursor": cursor} if cursor else {})}


def _joined(snapshot: list[Snapshot[T]], resync: list[Snapshot[T]]) -> Snapshot[T]:
    jobs = {job.id: job for page in snapshot + resync for job in page.jobs}
    for page in resync:
        for job_id in page.removed:
            jobs.pop(job_id, None)
    return Snapshot(epoch=snapshot[0].epoch, seq=resync[-1].seq, jobs=list(jobs.values()))


def _decode(response: httpx.Response, kind: type[T]) -> Snapshot[T]:
    response.raise_for_status()
    return msgspec.json.decode(response.content, type=Snapshot[kind])  # type: ignore[valid-type]


def _pages(client: httpx.Client, kind: type[T], query: dict[str, Any]) -> list[Snapshot[T]]:
    pages = [_decode(client.get("/api/jobs", params=_params(query, None)), kind)]
    while pages[-1].next_cursor:
        params = _params(query, pages[-1].next_cursor)
        pages.append(_decode(client.get("/api/jobs", params=params), kind))
    return pages


async def _apages(
    client: httpx.AsyncClient, kind: type[T], query: dict[str, Any]
) -> list[Snapshot[T]]:
    pages = [_decode(await client.get("/api/jobs", params=_params(query, None)), kind)]
    while pages[-1].next_cursor:
        params = _params(query, pages[-1].next_cursor)
        pages.append(_decode(await client.get("/api/jobs", params=params), kind))
    return pages


def _resync(query: dict[str, Any], first: Snapshot[T]) -> dict[str, Any]:
    return {**query, "since": first.seq, "epoch": first.epoch}


def read_all(client: httpx.Client, kind: type[T], **query: Any) -> Snapshot[T]:
    """Every job of ``GET /api/jobs`` (with ``query``), decoded as ``kind``."""
    snapshot = _pages(client, kind, query)
    return _joined(snapshot, _pages(client, kind, _resync(query, snapshot[0])))


async def aread_all(client: httpx.AsyncClient, kind: type[T], **query: Any) -> Snapshot[T]:
    """``read_all`` with an async client."""
    snapshot = await _apages(client, kind, query)
    return _joined(snapshot, await _apages(client, kind, _resync(query, snapshot[0])))
