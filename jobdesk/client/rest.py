"""The REST calls the engine makes: the snapshot, the resync since a seq, and one job whole.

Snapshots are read as summaries (``JobSummary``): the monitor keeps 100,000 jobs, and
only the selected one's log, sub-operations, payload, result and history are shown, so
only that one is fetched whole (``job``).

A snapshot's jobs are decoded one at a time as the store takes them (``JobsRead.jobs``
is lazy), so the strings the store's compaction frees for one job are reused by the
next one's decoding: decoded all at once, they left 230 bytes per job of freed memory
the process could not give back (docs/benchmarks.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote

import httpx
import msgspec

from jobdesk.client.errors import AuthRejected, ResyncRequired
from jobdesk.client.pool import LIMITS
from jobdesk.protocol import Job, JobSummary


class _RawSnapshot(msgspec.Struct, rename="camel", kw_only=True):
    """``GET /api/jobs`` with each job left as its JSON text, a view into the body."""

    epoch: str
    seq: int
    jobs: list[msgspec.Raw]
    removed: list[str] = []


@dataclass(frozen=True)
class JobsRead:
    """A snapshot or a resync as the monitor reads it: the jobs decoded as they are
    iterated (once), each as a summary."""

    epoch: str
    seq: int
    jobs: Iterator[JobSummary]
    removed: list[str]


_decode_raw_snapshot = msgspec.json.Decoder(_RawSnapshot).decode
_decode_summary = msgspec.json.Decoder(JobSummary).decode
_decode_job = msgspec.json.Decoder(Job).decode


class RestApi:
    def __init__(self, base_url: str, token: str, *, timeout: float) -> None:
        self._http = httpx.AsyncClient(
            base_url=base_url,
            headers={"Authorization": f"Bearer {token}"},
            timeout=timeout,
            limits=LIMITS,
        )

    def set_token(self, token: str) -> None:
        self._http.headers["Authorization"] = f"Bearer {token}"

    async def aclose(self) -> None:
        await self._http.aclose()

    async def snapshot(self) -> JobsRead:
        """Every job in one consistent read."""
        return await self._get({})

    async def since(self, seq: int, epoch: str) -> JobsRead:
        """What changed after ``seq``; ResyncRequired (410) when the server cannot say."""
        return await self._get({"since": seq, "epoch": epoch})

    async def job(self, job_id: str) -> Job | None:
        """One job whole (``GET /api/jobs/{id}/detail``), or None when the server has no
        such job (removed by retention, or another server's)."""
        response = await self._http.get(f"/api/jobs/{quote(job_id, safe='')}/detail")
        if response.status_code == 404:
            return None
        self._check(response)
        return _decode_job(response.content)

    async def _get(self, params: dict[str, int | str]) -> JobsRead:
        response = await self._http.get("/api/jobs", params=params)
        if response.status_code == 410:
            raise ResyncRequired(response.text)
        self._check(response)
        raw = _decode_raw_snapshot(response.content)
        return JobsRead(raw.epoch, raw.seq, map(_decode_summary, raw.jobs), raw.removed)

    @staticmethod
    def _check(response: httpx.Response) -> None:
        if response.status_code in (401, 403):
            raise AuthRejected(f"the server refused the token (HTTP {response.status_code})")
        response.raise_for_status()
