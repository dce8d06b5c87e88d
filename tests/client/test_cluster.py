"""A monitor on a three-replica cluster (real PostgreSQL, real server processes) while
replicas die under it.

Writers on replicas A and B start, advance and complete jobs without pause; the monitor
follows C, with A and B as its other replicas. C is killed mid-stream (kill -9): the
monitor must fail over and resume with ``since``, never reload. Then B is killed
mid-stream: its writer goes on through A. At the end every acknowledged write is in the
database, the monitor's store equals the database job by job, the change feed has no
seq gap, and no change reached the monitor twice.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import psycopg

from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from tests.client.engine_harness import Running, assert_consistent, running_engine
from tests.conftest import make_tokens
from tests.polling import eventually
from tests.server.cluster import Cluster

A, B, C = 0, 1, 2
BEFORE_C_DIES = 40
"""Jobs each writer has completed when C is killed; B dies this many later again."""
IN_ALL = 3 * BEFORE_C_DIES


@dataclass
class Writer:
    """Starts a job, reports progress on it, completes it; again and again. Only what a
    replica acknowledged counts; a job whose request failed (its replica died under it)
    is left as it is, and the writer goes on through the next URL."""

    urls: list[str]
    token: str
    acknowledged: dict[str, str] = field(default_factory=dict)
    """Job id: the last acknowledged step (started, progress, completed)."""
    completed: int = 0
    failed_over: int = 0

    async def run(self, stop: asyncio.Event) -> None:
        headers = {"Authorization": f"Bearer {self.token}"}
        while not stop.is_set():
            async with httpx.AsyncClient(base_url=self.urls[0], headers=headers) as client:
                try:
                    while not stop.is_set():
                        await self._one_job(client)
                except httpx.TransportError:
                    self.urls = self.urls[1:] + self.urls[:1]
                    self.failed_over += 1

    async def _one_job(self, client: httpx.AsyncClient) -> None:
        started = await client.post("/api/admin/jobs/start", json={})
        started.raise_for_status()
        job_id: str = started.json()["jobId"]
        self.acknowledged[job_id] = "started"
        for progress in (0.3, 0.6):
            answer = await client.post(
                f"/api/admin/jobs/{job_id}/progress", json={"progress": progress}
            )
            answer.raise_for_status()
            self.acknowledged[job_id] = "progress"
        done = await client.post(f"/api/admin/jobs/{job_id}/complete", json={})
        done.raise_for_status()
        self.acknowledged[job_id] = "completed"
        self.completed += 1


def live(run: Running) -> bool:
    return run.transport is Transport.LIVE


def record_applies(store: JobStore) -> list[tuple[str, int]]:
    """Every (job id, version) the engine applies as a change (not a full load)."""
    applied: list[tuple[str, int]] = []
    loads: list[int] = []
    apply = store.apply

    def recorded(server: str, **kwargs: Any) -> Any:
        if kwargs.get("replace"):
            loads.append(len(applied))
        else:
            applied.extend((job.id, job.version) for job in kwargs.get("jobs", ()))
        return apply(server, **kwargs)

    store.apply = recorded  # type: ignore[method-assign]
    store.loads = loads  # type: ignore[attr-defined]
    return applied


def database_jobs(db_url: str) -> dict[str, tuple[int, str]]:
    """The live jobs as the database holds them: id -> (version, status)."""
    with psycopg.connect(db_url) as conn:
        rows = conn.execute("SELECT id, version, status FROM jobs WHERE live").fetchall()
    return {job_id: (version, status) for job_id, version, status in rows}


def feed_seqs(db_url: str) -> tuple[list[int], int]:
    with psycopg.connect(db_url) as conn:
        seqs = [row[0] for row in conn.execute("SELECT seq FROM events ORDER BY seq")]
        head = conn.execute("SELECT max(seq) FROM jobs").fetchone()
    assert head is not None
    return seqs, head[0]


async def test_a_monitor_follows_a_cluster_through_two_kills_and_misses_nothing(
    pg_url: str, tmp_path: Path
) -> None:
    tokens = make_tokens(pg_url)
    cluster = await asyncio.to_thread(Cluster, pg_url, tmp_path, 3, {"retention_count": 10_000})
    urls = cluster.urls
    writers = [
        Writer([urls[A], urls[B]], tokens["worker"]),
        Writer([urls[B], urls[A]], tokens["worker2"]),
    ]
    stop = asyncio.Event()
    tasks: list[asyncio.Task[None]] = []
    try:
        options = {"replicas": f"{urls[A]},{urls[B]}"}
        async with running_engine(urls[C], tokens["viewer"], options=options) as run:
            applied = record_applies(run.store)
            await eventually(lambda: run.engine.url == urls[C] and bool(run.subscribed), 30)
            tasks = [asyncio.create_task(writer.run(stop)) for writer in writers]

            await eventually(lambda: min(w.completed for w in writers) >= BEFORE_C_DIES, 120)
            await asyncio.to_thread(cluster.kill, C)
            await eventually(lambda: run.engine.url != urls[C] and live(run), 60)

            await eventually(lambda: min(w.completed for w in writers) >= 2 * BEFORE_C_DIES, 120)
            await asyncio.to_thread(cluster.kill, B)
            await eventually(lambda: sum(w.completed for w in writers) >= IN_ALL + 40, 120)
            stop.set()
            await asyncio.gather(*tasks)

            await eventually(lambda: run.engine.url == urls[A] and live(run), 60)
            await assert_consistent(run, urls[A], tokens["viewer"], within=60)
            stored = {job_id: job for job_id, job in run.store.server("srv").jobs.items()}
            subscribed = list(run.subscribed)
            loads = list(run.store.loads)  # type: ignore[attr-defined]
    finally:
        stop.set()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await asyncio.to_thread(cluster.stop)

    # every acknowledged write is in the database, and the monitor has exactly that
    in_db = database_jobs(pg_url)
    for writer in writers:
        for job_id, step in writer.acknowledged.items():
            assert job_id in in_db, (job_id, step)
            if step == "completed":
                assert in_db[job_id][1] == "completed", (job_id, in_db[job_id])
    assert writers[1].failed_over >= 1  # B's writer lost its replica mid-stream
    assert {job_id: job.version for job_id, job in stored.items()} == {
        job_id: version for job_id, (version, _) in in_db.items()
    }
    assert {job_id: job.status.value for job_id, job in stored.items()} == {
        job_id: status for job_id, (_, status) in in_db.items()
    }
    # one change feed for the whole cluster: every seq once, none missing
    seqs, head = feed_seqs(pg_url)
    assert seqs == list(range(seqs[0], head + 1))
    # one full load (the first); after that, resumed on the others, each change once
    assert loads == [0]
    first, *later = subscribed
    assert (first.url, first.mode) == (urls[C], "live")
    assert later
    assert all(answer.resumed for answer in later), later
    assert {answer.url for answer in later} >= {urls[A]}
    twice = [change for change, n in Counter(applied).items() if n > 1]
    assert twice == []
