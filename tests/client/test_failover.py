"""A profile with replicas: the engine follows a cluster, failing over between its URLs.

Replicas of one cluster share one database. Two servers cannot hold one SQLite file at
once, but a server started on the same file at another port is what a replica is: the
same epoch and the same seq history. So: A runs on F, A is killed, B starts on F at a
port the engine was given from the start, and the monitor must end on B, resumed with
``since``, equal to B's jobs.
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import shutil
import signal
import socket
import time
from contextlib import closing
from pathlib import Path

import httpx
import pytest

from jobdesk.client.kinds import kind_of
from jobdesk.client.replicas import Replicas, host_port, parse_replicas
from jobdesk.client.settings import EngineSettings
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.server.storage import Storage
from jobdesk.server.tokens import list_tokens
from tests.client.engine_harness import FAST, Running, assert_consistent, running_engine
from tests.conftest import make_tokens
from tests.polling import eventually
from tests.server.procserver import ServerProcess


def free_port() -> int:
    """A port nobody listens on (once the probe closes): B's, chosen before B exists."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


async def start(db: Path, port: int = 0) -> ServerProcess:
    return await asyncio.to_thread(ServerProcess, db, port)


async def post(url: str, token: str, path: str, body: object = None) -> str:
    async with httpx.AsyncClient(base_url=url, headers={"Authorization": f"Bearer {token}"}) as c:
        response = await c.post(path, json=body if body is not None else {})
        response.raise_for_status()
        job_id: str = response.json()["jobId"]
        return job_id


async def live_on(run: Running, url: str) -> None:
    """Live, on this replica."""
    await eventually(lambda: run.transport is Transport.LIVE and run.engine.url == url, within=30)


# --- the option -----------------------------------------------------------------------


def test_the_replicas_option_is_checked_like_a_url() -> None:
    jobdesk = kind_of("jobdesk")
    assert jobdesk.check_options({})["replicas"] == ""
    given = "http://b:8765, http://c:8765\n ws://d:8765/api/notifications/ws"
    assert jobdesk.check_options({"replicas": given})["replicas"] == given
    assert parse_replicas(given) == (
        "http://b:8765",
        "http://c:8765",
        "ws://d:8765/api/notifications/ws",
    )
    with pytest.raises(ValueError, match="replicas: 'ftp://c' is not an http"):
        jobdesk.check_options({"replicas": "http://b:1,ftp://c"})
    with pytest.raises(ValueError, match="no host"):
        jobdesk.check_options({"replicas": "http://"})


def test_replicas_go_round_in_order_and_one_server_given_twice_is_one() -> None:
    cluster = Replicas(["http://a:1", "http://b:2/", "ws://a:1/api/notifications/ws"])
    assert cluster.urls == ("http://a:1", "http://b:2/")
    assert cluster.current == "http://a:1"
    assert [cluster.advance(), cluster.advance(), cluster.advance()] == [
        "http://b:2/",
        "http://a:1",
        "http://b:2/",
    ]
    assert host_port("https://b.example.org/jobdesk") == "b.example.org:443"
    assert not Replicas(["http://a:1"]).many


# --- failing over ---------------------------------------------------------------------


async def test_a_killed_replica_fails_over_to_the_next_which_resumes_with_since(
    tmp_path: Path,
) -> None:
    db = tmp_path / "jobs.db"
    tokens = make_tokens(db)
    worker, viewer = tokens["worker"], tokens["viewer"]
    a = await start(db)
    b_port = free_port()
    b_url = f"http://127.0.0.1:{b_port}"
    b: ServerProcess | None = None
    try:
        async with running_engine(a.url, viewer, options={"replicas": b_url}) as run:
            await live_on(run, a.url)
            assert run.engine.state.value.via == host_port(a.url)
            running = [await post(a.url, worker, "/api/admin/jobs/start") for _ in range(4)]
            await assert_consistent(run, a.url, viewer)
            epoch = run.store.server("srv").epoch
            seq_on_a = run.store.server("srv").seq

            await asyncio.to_thread(a.kill)
            b = await start(db, b_port)  # a replica: the same database, another address
            for job_id in running[:2]:
                await post(b.url, worker, f"/api/admin/jobs/{job_id}/complete")
            await post(b.url, worker, f"/api/admin/jobs/{running[2]}/fail", {"error": "disk"})
            created = await post(b.url, worker, "/api/admin/jobs/start")

            await live_on(run, b_url)
            await assert_consistent(run, b.url, viewer, within=30)
            assert created in run.store.server("srv").jobs
            assert run.store.server("srv").epoch == epoch
            state = run.engine.state.value
            assert state.via == f"127.0.0.1:{b_port}"
            assert state.describe(time.time()) == f"live via 127.0.0.1:{b_port}"
            # one full load, on A at the start; on B it resumed after A's last seq
            first, *later = run.subscribed
            assert (first.url, first.mode, first.since) == (a.url, "live", None)
            assert later, "B never answered a subscription"
            assert all(answer.resumed for answer in later)
            on_b = [answer for answer in later if answer.url == b_url]
            assert on_b
            assert on_b[0].since is not None
            assert on_b[0].since >= seq_on_a
            assert on_b[0].epoch == on_b[0].known_epoch == epoch
    finally:
        await asyncio.to_thread(a.stop)
        if b is not None:
            await asyncio.to_thread(b.stop)


async def test_a_url_of_another_database_is_reloaded_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """C is no replica of A (another database, another epoch), though it takes the same
    tokens: the monitor takes its jobs as after a restart on a fresh database, all of
    them, and says which URL is not of the cluster."""
    ours, theirs = tmp_path / "ours.db", tmp_path / "theirs.db"
    tokens = make_tokens(ours)
    with closing(Storage.open(theirs)) as storage:
        for record in list_tokens(ours):  # the same tokens, as a copied setup would have
            storage.tokens.add(record)
    worker, viewer = tokens["worker"], tokens["viewer"]
    a, c = await start(ours), await start(theirs)
    caplog.set_level(logging.WARNING, logger="jobdesk.client.sources.jobdesk")
    try:
        async with running_engine(a.url, viewer, options={"replicas": c.url}) as run:
            await live_on(run, a.url)
            ours_only = await post(a.url, worker, "/api/admin/jobs/start")
            await assert_consistent(run, a.url, viewer)
            our_epoch = run.store.server("srv").epoch
            theirs_only = await post(c.url, worker, "/api/admin/jobs/start")

            await asyncio.to_thread(a.kill)
            await live_on(run, c.url)
            await assert_consistent(run, c.url, viewer)
            jobs = run.store.server("srv").jobs
            assert theirs_only in jobs
            assert ours_only not in jobs
            assert run.store.server("srv").epoch != our_epoch
            answer = run.subscribed[-1]
            assert (answer.url, answer.mode, answer.known_epoch) == (c.url, "snapshot", our_epoch)
            warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
            assert any(c.url in text and "not the same cluster" in text for text in warned)
    finally:
        await asyncio.to_thread(a.stop)
        await asyncio.to_thread(c.stop)


async def test_a_hung_replica_is_left_for_the_next_once_the_silence_watch_says_so(
    tmp_path: Path,
) -> None:
    """SIGSTOP leaves A's socket open and silent. Its own keepalives are set far off
    here, so only the engine's silence watch (``unreachable_after``) can end the session;
    then the next replica, B, resumes. B runs on a copy of A's database taken before A
    changed anything: the same epoch and history, as a replica has."""
    db, copy = tmp_path / "a.db", tmp_path / "b.db"
    tokens = make_tokens(db)
    worker, viewer = tokens["worker"], tokens["viewer"]
    shutil.copy(db, copy)
    a, b = await start(db), await start(copy)
    patient = EngineSettings(
        **{
            **FAST.__dict__,
            "ping_interval": 60.0,
            "ping_timeout": 60.0,
            "silence_timeout": 120.0,
            "probe_interval": 0.5,
            "unreachable_after": 3.0,
        }
    )
    stopped = False
    try:
        async with running_engine(a.url, viewer, patient, options={"replicas": b.url}) as run:
            await live_on(run, a.url)
            await assert_consistent(run, a.url, viewer)
            os.kill(a.process.pid, signal.SIGSTOP)
            stopped = True
            created = await post(b.url, worker, "/api/admin/jobs/start")
            await live_on(run, b.url)
            await assert_consistent(run, b.url, viewer)
            assert created in run.store.server("srv").jobs
            left_a = [
                s
                for s in run.states
                if s.transport is Transport.CONNECTING and s.detail.endswith("(not answering)")
            ]
            assert left_a
            assert left_a[0].via == host_port(b.url)
            assert left_a[0].detail == f"{host_port(a.url)} failed (not answering)"
            assert run.subscribed[-1].url == b.url
            assert run.subscribed[-1].resumed
    finally:
        if stopped:
            os.kill(a.process.pid, signal.SIGCONT)
        await asyncio.to_thread(a.stop)
        await asyncio.to_thread(b.stop)


async def test_a_round_of_dead_replicas_is_tried_at_once_then_waits_the_backoff() -> None:
    """Every URL of a round once, the next right after the last failed; then the usual
    backoff, whose first step here is long: two handshakes, then a planned retry."""
    a_url, b_url = (f"http://127.0.0.1:{free_port()}" for _ in range(2))
    slow = EngineSettings(**{**FAST.__dict__, "backoff_initial": 60.0, "backoff_cap": 60.0})
    rng = seeded_for_a_long_first_wait(60.0)
    options = {"replicas": b_url}
    async with running_engine(a_url, "jd_x", slow, options=options, rng=rng) as run:
        await eventually(lambda: waiting(run.engine.state.value), within=15)
        assert run.engine.handshakes == 2
        tried = [s for s in run.states if s.transport is Transport.CONNECTING]
        assert [s.via for s in tried] == [host_port(a_url), host_port(b_url)]
        assert tried[1].detail == f"{host_port(a_url)} failed (connection refused)"
        retry_at = run.engine.state.value.next_retry_at
        assert retry_at is not None
        assert retry_at - time.time() > 20
        assert run.engine.url == a_url  # the next round starts where the first did


def waiting(state: ConnectionState) -> bool:
    return state.transport is Transport.OFFLINE and state.next_retry_at is not None


def seeded_for_a_long_first_wait(cap: float) -> random.Random:
    """A seeded random source whose first full-jitter delay is over half the cap."""
    for seed in range(100):
        if random.Random(seed).uniform(0.0, cap) > cap / 2:
            return random.Random(seed)
    raise AssertionError("no seed found")
