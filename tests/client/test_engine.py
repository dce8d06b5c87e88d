"""The engine against a real server process: restarts, epochs, auth, half-open sockets."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from jobdesk.client.settings import EngineSettings
from jobdesk.core.connection import Transport
from tests.client.engine_harness import FAST, assert_consistent, running_engine
from tests.conftest import make_tokens
from tests.polling import eventually
from tests.server.procserver import ServerProcess

_TOKENS: dict[Path, dict[str, str]] = {}
"""Each test database's tokens, made once (token names are unique)."""


@pytest.fixture
async def proc(tmp_path: Path) -> AsyncIterator[ServerProcess]:
    _TOKENS[tmp_path / "jobs.db"] = make_tokens(tmp_path / "jobs.db")
    server = await asyncio.to_thread(ServerProcess, tmp_path / "jobs.db")
    yield server
    await asyncio.to_thread(server.stop)
    del _TOKENS[tmp_path / "jobs.db"]


def tokens_of(server: ServerProcess) -> dict[str, str]:
    return _TOKENS[server.db_path]


async def post(url: str, token: str, path: str, body: object = None) -> str:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        response = await c.post(path, json=body if body is not None else {})
        response.raise_for_status()
        job_id: str = response.json()["jobId"]
        return job_id


async def test_live_push_keeps_the_store_equal(proc: ServerProcess) -> None:
    tokens = tokens_of(proc)
    async with running_engine(proc.url, tokens["viewer"]) as run:
        await run.until(Transport.LIVE)
        for _ in range(5):
            job_id = await post(proc.url, tokens["worker"], "/api/admin/jobs/start")
            await post(
                proc.url, tokens["worker"], f"/api/admin/jobs/{job_id}/progress", {"progress": 0.5}
            )
        await assert_consistent(run, proc.url, tokens["viewer"])
        assert [s.transport for s in run.states] == [Transport.LIVE]
        assert run.engine.handshakes == 1


async def test_batches_from_many_workers_at_once_keep_the_store_equal(
    proc: ServerProcess,
) -> None:
    tokens = tokens_of(proc)
    ids = [await post(proc.url, tokens["worker"], "/api/admin/jobs/start") for _ in range(20)]
    headers = {"Authorization": f"Bearer {tokens['worker']}"}

    async def report(client: httpx.AsyncClient, part: list[str]) -> None:
        for step in range(1, 41):
            body = {"updates": [{"jobId": j, "progress": step / 40} for j in part]}
            (await client.post("/api/admin/jobs/batch", json=body)).raise_for_status()

    async with (
        running_engine(proc.url, tokens["viewer"]) as run,
        httpx.AsyncClient(base_url=proc.url, headers=headers) as client,
    ):
        await run.until(Transport.LIVE)
        await asyncio.gather(*[report(client, ids[n::4]) for n in range(4)])
        await assert_consistent(run, proc.url, tokens["viewer"])
        assert run.engine.handshakes == 1
        assert all(job.progress == 100.0 for job in run.store.server("srv").jobs.values())


async def test_kill_9_and_restart_resumes_by_replay(proc: ServerProcess) -> None:
    tokens = tokens_of(proc)
    worker = tokens["worker"]
    async with running_engine(proc.url, tokens["viewer"]) as run:
        await run.until(Transport.LIVE)
        running = [await post(proc.url, worker, "/api/admin/jobs/start") for _ in range(4)]
        await assert_consistent(run, proc.url, tokens["viewer"])
        epoch = run.store.server("srv").epoch
        await asyncio.to_thread(proc.kill)
        await run.until(Transport.OFFLINE)
        # while the client cannot reach it, the server changes: it runs on another port
        elsewhere = await asyncio.to_thread(ServerProcess, proc.db_path)
        try:
            for job_id in running[:3]:
                await post(elsewhere.url, worker, f"/api/admin/jobs/{job_id}/complete")
            await post(elsewhere.url, worker, f"/api/admin/jobs/{running[3]}/fail", {"error": "x"})
        finally:
            await asyncio.to_thread(elsewhere.kill)
        restarted = await asyncio.to_thread(ServerProcess, proc.db_path, proc.port)
        try:
            await run.until(Transport.LIVE, within=20)
            await assert_consistent(run, restarted.url, tokens["viewer"])
            assert run.store.server("srv").epoch == epoch
            (summary,) = run.away
            assert summary.describe() == "3 completed, 1 failed"
        finally:
            await asyncio.to_thread(restarted.stop)


async def test_a_fresh_database_is_a_new_epoch_and_replaces_the_store(
    proc: ServerProcess, tmp_path: Path
) -> None:
    tokens = tokens_of(proc)
    async with running_engine(proc.url, tokens["viewer"]) as run:
        await run.until(Transport.LIVE)
        old = await post(proc.url, tokens["worker"], "/api/jobs")
        await assert_consistent(run, proc.url, tokens["viewer"])
        await asyncio.to_thread(proc.kill)
        fresh_db = tmp_path / "fresh.db"
        fresh_tokens = make_tokens(fresh_db)
        run.engine.set_token(fresh_tokens["viewer"])
        fresh = await asyncio.to_thread(ServerProcess, fresh_db, proc.port)
        try:
            new = await post(fresh.url, fresh_tokens["worker"], "/api/jobs")
            await assert_consistent(run, fresh.url, fresh_tokens["viewer"], within=20)
            assert set(run.store.server("srv").jobs) == {new}
            assert old not in run.store.server("srv").jobs
        finally:
            await asyncio.to_thread(fresh.stop)


async def test_auth_failure_is_fatal_until_the_token_changes(proc: ServerProcess) -> None:
    tokens = tokens_of(proc)
    async with running_engine(proc.url, "jd_not-a-token") as run:
        await run.until(Transport.AUTH_FAILED)
        await asyncio.sleep(5)  # the point: nothing happens during these 5 s
        assert run.engine.handshakes <= 2
        assert run.transport is Transport.AUTH_FAILED
        assert "Invalid or expired token" in run.engine.state.value.detail
        run.engine.set_token(tokens["viewer"])
        await run.until(Transport.LIVE)
        await assert_consistent(run, proc.url, tokens["viewer"])


async def test_a_graceful_restart_reconnects_soon(proc: ServerProcess) -> None:
    tokens = tokens_of(proc)
    slow = EngineSettings(**{**FAST.__dict__, "backoff_initial": 30.0, "backoff_cap": 30.0})
    async with running_engine(proc.url, tokens["viewer"], settings=slow) as run:
        await run.until(Transport.LIVE)
        await asyncio.to_thread(proc.stop)  # SIGTERM: uvicorn closes sockets with 1012
        await eventually(lambda: len(run.states) > 1)
        went_away = run.states[1]
        assert went_away.detail == "closed (1012)"
        assert went_away.next_retry_at is not None
        # the planned retry is the short one for a restart, not the 30 s backoff
        assert went_away.next_retry_at - time.time() <= slow.soon_max
        restarted = await asyncio.to_thread(ServerProcess, proc.db_path, proc.port)
        try:
            await run.until(Transport.LIVE, within=60)  # a 30 s backoff after a refused retry
            await assert_consistent(run, restarted.url, tokens["viewer"])
        finally:
            await asyncio.to_thread(restarted.stop)


async def test_a_stopped_server_is_noticed_within_30_s(proc: ServerProcess) -> None:
    """SIGSTOP leaves the TCP connection open and silent: the default keepalive
    (ping every 15 s, 10 s to answer) must notice it."""
    tokens = tokens_of(proc)
    defaults = EngineSettings(backoff_initial=0.2, backoff_cap=1.0, poll_after_down=1.0)
    async with running_engine(proc.url, tokens["viewer"], settings=defaults) as run:
        await run.until(Transport.LIVE)
        os.kill(proc.process.pid, signal.SIGSTOP)
        try:
            stopped = asyncio.get_running_loop().time()
            await run.until(Transport.OFFLINE, within=30)
            noticed = asyncio.get_running_loop().time() - stopped
        finally:
            os.kill(proc.process.pid, signal.SIGCONT)
        assert noticed <= 30
        await run.until(Transport.LIVE, within=20)
        await assert_consistent(run, proc.url, tokens["viewer"])
