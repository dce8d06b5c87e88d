"""A sweep with much to do runs as bounded commands, each its own transaction, with
requests served between them; a sweep with nothing due touches nothing."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from jobdesk.protocol import Status
from jobdesk.protocol.rest import CompleteRequest, ProgressRequest, StartJobRequest
from jobdesk.server.service import JobService
from jobdesk.server.sweep import CHANGES_PER_COMMAND
from jobdesk.server.tokens import Principal, Role
from tests.stores import Database, count_commits

pytestmark = pytest.mark.stores("sqlite", "postgres")

WORKER = Principal("worker-1", Role.WORKER)
RUNNING = 2 * CHANGES_PER_COMMAND + 50


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_many_jobs_going_stale_at_once_are_marked_in_slices(database: Database) -> None:
    clock = Clock()
    service = JobService(database.config(sweep_interval_s=3600.0), clock=clock)
    await service.start()
    try:
        jobs = await asyncio.gather(
            *(service.create(WORKER, StartJobRequest(), running=True) for _ in range(RUNNING))
        )
        assert await service.sweep() == 0  # each job looked at once, filed under its moment
        seq = service.state.seq
        assert await service.sweep() == 0
        assert service.state.seq == seq
        commits = count_commits(service)

        clock.now += timedelta(minutes=11)  # every job silent past stale_after_s
        sweeping = asyncio.create_task(service.sweep())
        served = []
        while not sweeping.done():  # a report between the slices is answered meanwhile
            served.append(await service.progress(WORKER, jobs[0].id, ProgressRequest(progress=1)))
        assert served  # answered while the sweep still had slices to run
        assert await sweeping in (RUNNING - 1, RUNNING)  # jobs[0] may have reported first
        assert commits() >= 3  # at least ceil(RUNNING / CHANGES_PER_COMMAND) slices
        quiet = [service.get(job.id) for job in jobs[1:]]
        assert all(job.stale and job.status is Status.RUNNING for job in quiet)
        assert await service.sweep() == 0  # stale ones now wait for their timeout
    finally:
        await service.stop()


async def test_retention_removes_the_oldest_finished_beyond_the_count(database: Database) -> None:
    clock = Clock()
    service = JobService(
        database.config(sweep_interval_s=3600.0, retention_count=CHANGES_PER_COMMAND), clock=clock
    )
    await service.start()
    try:
        finished = []
        for _ in range(CHANGES_PER_COMMAND + 30):
            job = await service.create(WORKER, StartJobRequest(), running=True)
            finished.append(await service.complete(WORKER, job.id, CompleteRequest()))
            clock.now += timedelta(seconds=1)
        assert await service.sweep() == 30
        left = {job.id for job in finished if service.state.get(job.id) is not None}
        assert left == {job.id for job in finished[30:]}
    finally:
        await service.stop()
