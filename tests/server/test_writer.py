"""The single writer groups concurrent requests into few transactions, in order."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest

from jobdesk.protocol.rest import MessageRequest, ProgressRequest, StartJobRequest
from jobdesk.server.config import ServerConfig
from jobdesk.server.errors import ApiError
from jobdesk.server.service import JobService
from jobdesk.server.tokens import Principal, Role

WORKER = Principal("worker-1", Role.WORKER)


class CountingCommits:
    def __init__(self, service: JobService) -> None:
        self.commits = 0
        commit = service.storage.commit

        def counted(*args: Any, **kwargs: Any) -> None:
            self.commits += 1
            commit(*args, **kwargs)

        service.storage.commit = counted  # type: ignore[method-assign]


async def test_concurrent_updates_share_transactions(tmp_path: Path) -> None:

    service = JobService(ServerConfig(db_path=tmp_path / "w.db"))
    await service.start()
    try:
        job = await service.create(WORKER, StartJobRequest(), running=True)
        counter = CountingCommits(service)
        updates = [
            service.progress(WORKER, job.id, ProgressRequest(progress=i / 200)) for i in range(200)
        ]
        results = await asyncio.gather(*updates)
        assert counter.commits <= 2
        assert [r.version for r in results] == list(range(2, 202))
        assert service.state.seq == 201
        assert service.get(job.id).progress == pytest.approx(199 / 2)
    finally:
        await service.stop()


async def test_a_refused_command_does_not_spoil_its_batch(tmp_path: Path) -> None:

    service = JobService(ServerConfig(db_path=tmp_path / "w.db"))
    await service.start()
    try:
        job = await service.create(WORKER, StartJobRequest(), running=True)
        outcomes = await asyncio.gather(
            service.message(WORKER, job.id, MessageRequest(text="before")),
            service.message(WORKER, "job_missing", MessageRequest(text="lost")),
            service.message(WORKER, job.id, MessageRequest(text="after")),
            return_exceptions=True,
        )
        assert isinstance(outcomes[1], ApiError)
        assert [m.text for m in service.get(job.id).messages] == ["before", "after"]
        assert service.state.seq == 3
    finally:
        await service.stop()
