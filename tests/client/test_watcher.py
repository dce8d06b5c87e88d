"""The watcher against a real server: snapshot, live events, a refused token, reconnects."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
import pytest

from jobdesk.client.store import Change, JobStore
from jobdesk.client.watcher import AuthRejected, Watcher, WatchState
from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from jobdesk.server.tokens import create_token
from tests.conftest import RunningServer
from tests.polling import eventually

FAST = (0.05, 0.1)


class Recorder:
    def __init__(self) -> None:
        self.states: list[WatchState] = []
        self.changes: list[Change] = []

    def connection(self, state: WatchState, detail: str) -> None:
        self.states.append(state)

    def changed(self, store: JobStore, changes: Sequence[Change]) -> None:
        self.changes.extend(changes)


async def create(url: str, token: str, name: str) -> str:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        response = await c.post("/api/jobs", json={"name": name, "jobType": "generic"})
        response.raise_for_status()
        job_id: str = response.json()["jobId"]
        return job_id


async def progress(url: str, token: str, job_id: str, fraction: float) -> None:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        response = await c.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": fraction})
        response.raise_for_status()


@asynccontextmanager
async def running(watcher: Watcher) -> AsyncIterator[asyncio.Task[None]]:
    """The watcher runs inside the block and is cancelled after it."""
    task = asyncio.create_task(watcher.run())
    try:
        yield task
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_snapshot_then_live_changes(server: RunningServer) -> None:
    first = await create(server.url, server.tokens["worker"], "before")
    seen = Recorder()
    watcher = Watcher(server.url, server.tokens["viewer"], seen, backoff=FAST)
    async with running(watcher):
        await eventually(lambda: WatchState.LIVE in seen.states)
        assert seen.changes[0].job_id == first  # from the snapshot
        second = await create(server.url, server.tokens["worker"], "after")
        await progress(server.url, server.tokens["worker"], first, 0.5)
        await eventually(lambda: second in watcher.store.jobs)
        await eventually(lambda: watcher.store.jobs[first].progress == 50)
    seqs = [change.seq for change in seen.changes]
    assert seqs == sorted(seqs)
    assert watcher.store.seq >= max(seqs)


async def test_a_refused_token_ends_the_watch(server: RunningServer) -> None:
    watcher = Watcher(server.url, "jd_not-a-token", Recorder(), backoff=FAST)
    with pytest.raises(AuthRejected):
        await asyncio.wait_for(watcher.run(), 10)


async def test_an_unreachable_server_is_retried_not_fatal(unused_port: int) -> None:
    seen = Recorder()
    watcher = Watcher(f"http://127.0.0.1:{unused_port}", "jd_x", seen, backoff=FAST)
    async with running(watcher) as task:
        await eventually(lambda: seen.states.count(WatchState.DISCONNECTED) >= 3)
        assert not task.done()


async def test_reconnects_and_replays_what_it_missed(tmp_path: Path) -> None:
    db = tmp_path / "jobdesk.db"
    token = create_token(db, "operator", "ops")
    first = EmbeddedServer(ServerConfig(db_path=db, port=0))
    first.start()
    port = first.port
    seen = Recorder()
    watcher = Watcher(first.url, token, seen, backoff=FAST)
    async with running(watcher):
        await eventually(lambda: WatchState.LIVE in seen.states)
        await asyncio.to_thread(first.stop)
        await eventually(lambda: WatchState.DISCONNECTED in seen.states)
        second = EmbeddedServer(ServerConfig(db_path=db, port=port))
        second.start()
        try:
            job_id = await create(second.url, token, "while-away")
            await eventually(lambda: job_id in watcher.store.jobs)
            assert seen.states.count(WatchState.LIVE) >= 2
        finally:
            await asyncio.to_thread(second.stop)


@pytest.fixture
def unused_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port
