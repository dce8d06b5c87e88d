"""job-dashboard-ws (seed 003) against a fake JobDashboard: pushes over its socket, its
seed 001 list fetched on every (re)connect and polled while the socket is down. After
each scenario the store equals the backend's truth, job by job."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from functools import partial

import pytest

from jobdesk.client.capabilities import Can
from jobdesk.client.kinds import SourceContext, kind_of, make_source
from jobdesk.client.sources.admin_list import AdminJobs
from jobdesk.client.sources.dashboard_mapping import pushed_entry
from jobdesk.client.sources.job_dashboard_ws import progress_scale
from jobdesk.client.sources.seed_http import seed_client
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from jobdesk.protocol import JobStats
from jobdesk.protocol.status import Status
from tests.client.adapters.harness import agrees, running_kind
from tests.client.adapters.seed001 import differences
from tests.client.adapters.seed003 import Seed003, pushed
from tests.client.engine_harness import FAST, Running
from tests.client.faultproxy import FaultProxy
from tests.polling import eventually

TOKEN = "admin-token"
KIND = "job-dashboard-ws"
SETTINGS = dataclasses.replace(FAST, probe_interval=0.25, silence_timeout=1.5)
"""Quiet for 0.25 s: ping; silent for 1.5 s: dead (the fake sends no heartbeat)."""


@pytest.fixture
async def fake() -> AsyncIterator[Seed003]:
    server = Seed003(TOKEN)
    await server.start()
    yield server
    await server.stop()


def busy(fake: Seed003) -> list[str]:
    """Six jobs in every seed 003 status, more than two list pages."""
    ids = [fake.create() for _ in range(4)]
    fake.progress(ids[0], 0.25, step="data-loading")
    fake.message(ids[0], "info", "Processing question 1")
    fake.finish(ids[1])
    fake.finish(ids[2], error="rate limited")
    fake.retry(ids[3], "timeout")
    ids.append(fake.queue())
    return ids


def auth_failures(run: Running) -> int:
    """How many times the engine entered AUTH_FAILED."""
    states = [s.transport for s in run.states]
    return sum(
        1
        for before, now in zip([None, *states], states, strict=False)
        if now is Transport.AUTH_FAILED and before is not Transport.AUTH_FAILED
    )


def test_the_kind_says_what_seed_003_offers() -> None:
    kind = kind_of(KIND)
    caps = kind.capabilities
    assert caps.delivery == "live, no replay"
    assert Can.LIST | Can.PUSH | Can.PROGRESS | Can.STATS in caps
    for lacking in (Can.RESUME, Can.SUBMIT, Can.CANCEL, Can.RETRY, Can.FORCE_FAIL, Can.HEALTH):
        assert lacking not in caps
    assert kind.check_options({})["listUrl"] == "/api/admin/jobs?includePast=true"


async def test_snapshot_then_live_changes(fake: Seed003) -> None:
    ids = busy(fake)
    async with running_kind(fake.url, TOKEN, KIND, settings=SETTINGS) as run:
        await agrees(run, partial(differences, fake))
        await run.until(Transport.LIVE)
        assert fake.received["subscribe_jobs"] == 1
        listed = fake.requests
        fake.progress(ids[0], 0.75, step="question-processing")
        fake.run(ids[4])
        fake.finish(ids[3])
        new = fake.create("fact-check")
        fake.message(new, "warning", "Low confidence in answer")
        await agrees(run, partial(differences, fake))
        assert fake.requests == listed  # the changes came pushed, not polled
        fake.send_stats()
        await eventually(lambda: run.engine.stats.value == JobStats(**fake.stats()))
        job = await run.engine.fetch_job(ids[0])
        assert job is not None
        assert [(s.name, s.progress) for s in job.sub_operations] == [
            ("data-loading", 25.0),
            ("question-processing", 75.0),
        ]
        assert [(m.level, m.text) for m in job.messages] == [("info", "Processing question 1")]


async def test_a_change_right_after_the_list_is_read_is_not_lost(fake: Seed003) -> None:
    """Subscribed before the list is read: a change after the read comes pushed."""
    ids = busy(fake)
    fake.after_list = lambda: fake.finish(ids[0])
    async with running_kind(fake.url, TOKEN, KIND, settings=SETTINGS) as run:
        await agrees(run, partial(differences, fake))
        assert fake.after_list is None
        assert run.store.server("srv").jobs[ids[0]].status is Status.COMPLETED


async def test_the_socket_stays_up_while_pings_are_answered(fake: Seed003) -> None:
    busy(fake)
    async with running_kind(fake.url, TOKEN, KIND, settings=SETTINGS) as run:
        await run.until(Transport.LIVE)
        # quiet for over three silence timeouts, kept alive by ping/pong alone
        await eventually(lambda: fake.received["ping"] >= 20, within=15.0)
        assert fake.connections == 1
        assert run.transport is Transport.LIVE
        fake.ping_clients()  # the backend's own heartbeat is answered
        await eventually(lambda: fake.received["pong"] == 1)


async def test_silence_is_death_and_the_list_is_polled_meanwhile(fake: Seed003) -> None:
    ids = busy(fake)
    async with running_kind(fake.url, TOKEN, KIND, settings=SETTINGS) as run:
        await run.until(Transport.LIVE)
        fake.muted = True  # the socket hangs: no pong, nothing pushed; REST answers
        fake.finish(ids[0])
        fake.create()
        await run.until(Transport.POLLING)
        await agrees(run, partial(differences, fake))
        fake.muted = False
        await run.until(Transport.LIVE)
        fake.progress(ids[3], 0.5)
        await agrees(run, partial(differences, fake))


async def test_a_reset_mid_stream(fake: Seed003) -> None:
    ids = busy(fake)
    with FaultProxy(("127.0.0.1", fake.port)) as proxy:
        async with running_kind(proxy.url, TOKEN, KIND, settings=SETTINGS) as run:
            await agrees(run, partial(differences, fake))
            await run.until(Transport.LIVE)
            proxy.block_websocket(True)  # the socket is reset and refused; REST flows
            fake.finish(ids[0])
            fake.finish(ids[3], error="gave up")
            await run.until(Transport.POLLING)
            await agrees(run, partial(differences, fake))
            proxy.block_websocket(False)
            await run.until(Transport.LIVE)
            connections = fake.connections
            proxy.reset_all()  # a reset while live: changes meanwhile come with the list
            fake.create()
            fake.run(ids[4])
            await eventually(lambda: fake.connections > connections)
            await agrees(run, partial(differences, fake))
            await run.until(Transport.LIVE)


async def test_the_server_restarted_with_nothing(fake: Seed003) -> None:
    busy(fake)
    async with running_kind(fake.url, TOKEN, KIND, settings=SETTINGS) as run:
        await agrees(run, partial(differences, fake))
        await fake.stop()
        await run.until(Transport.OFFLINE)
        fake.forget()  # the store is in memory
        await fake.start()
        fresh = fake.create()
        await run.until(Transport.LIVE)
        fake.progress(fresh, 0.1)
        await agrees(run, partial(differences, fake))
        assert set(run.store.server("srv").jobs) == {fresh}


async def test_a_bad_token_stops_until_a_good_one(fake: Seed003) -> None:
    busy(fake)
    async with running_kind(fake.url, "wrong", KIND, settings=SETTINGS) as run:
        await run.until(Transport.AUTH_FAILED)
        assert run.store.server("srv").jobs == {}
        assert (fake.connections, fake.auth_failures, auth_failures(run)) == (1, 1, 1)
        run.engine.set_token(TOKEN)
        await agrees(run, partial(differences, fake))
        await run.until(Transport.LIVE)
        assert (fake.connections, fake.auth_failures, auth_failures(run)) == (2, 1, 1)


async def test_an_expired_token_mid_session_asks_once(fake: Seed003) -> None:
    ids = busy(fake)
    async with running_kind(fake.url, TOKEN, KIND, settings=SETTINGS) as run:
        await agrees(run, partial(differences, fake))
        await run.until(Transport.LIVE)
        fake.expire_token("renewed")  # the 15 minutes are up
        await run.until(Transport.AUTH_FAILED)
        fake.finish(ids[0])  # missed while waiting for a new token
        fake.send_stats()
        assert (fake.connections, fake.auth_failures, auth_failures(run)) == (1, 1, 1)
        run.engine.retry_now()  # a refresh does not retry refused credentials
        run.engine.set_token("renewed")
        await agrees(run, partial(differences, fake))
        await run.until(Transport.LIVE)
        assert (fake.connections, fake.auth_failures, auth_failures(run)) == (2, 1, 1)
        assert fake.received["auth"] == 2


@pytest.fixture
async def listed(fake: Seed003) -> AsyncIterator[tuple[AdminJobs, JobStore]]:
    """The fake's list read once into a store, as every (re)connect does."""
    busy(fake)
    async with seed_client(fake.url, TOKEN, 2.0) as http:
        jobs, store = AdminJobs(http), JobStore()
        await jobs.replace_from_list(store, "srv", 0.0)
        yield jobs, store


async def test_a_partial_push_keeps_what_it_leaves_out(
    fake: Seed003, listed: tuple[AdminJobs, JobStore]
) -> None:
    jobs, store = listed
    job_id = next(iter(fake.jobs))
    message = {"type": "job_update", "job": {"id": job_id, "status": "completed"}}
    entry, dated = pushed_entry({**message, "timestamp": "2026-12-02T06:00:00.000Z"}, 100, "")
    jobs.push(store, "srv", entry, 1.0, dated=dated)
    stored = store.server("srv").jobs[job_id]
    assert (stored.status, stored.progress, stored.message) == (
        Status.COMPLETED,
        25.0,
        "Processing question 1",
    )
    assert stored.updated_at == "2026-12-02T06:00:00.000Z"  # the frame's time, undated job


async def test_a_push_older_than_the_list_is_dropped(
    fake: Seed003, listed: tuple[AdminJobs, JobStore]
) -> None:
    """Pushes queued during the list read arrive after it; the list is newer."""
    jobs, store = listed
    job_id = next(iter(fake.jobs))
    before = store.server("srv").jobs[job_id]
    older = {**pushed(fake.jobs[job_id]), "progress": 5.0, "updatedAt": "2026-01-01T00:00:00Z"}
    entry, dated = pushed_entry({"type": "job_update", "job": older}, 100, "")
    assert dated
    jobs.push(store, "srv", entry, 1.0, dated=dated)
    assert store.server("srv").jobs[job_id] == before
    newer = {**older, "updatedAt": "2027-01-01T00:00:00Z"}
    jobs.push(store, "srv", pushed_entry({"job": newer}, 100, "")[0], 1.0, dated=True)
    assert store.server("srv").jobs[job_id].progress == 5.0


async def test_one_job_as_last_seen() -> None:
    fake = Seed003(TOKEN)
    await fake.start()
    ids = busy(fake)
    source = make_source(KIND, SourceContext(fake.url, TOKEN, SETTINGS))
    try:
        assert await source.fetch_job(ids[0]) is None  # nothing read yet
        await source.poll(JobStore(), "srv", 0.0)
        job = await source.fetch_job(ids[0])
        assert job is not None
        assert job.progress == 25.0
        assert [m.text for m in job.messages] == ["Processing question 1"]
        assert await source.fetch_job("job-none") is None
    finally:
        await source.aclose()
        await fake.stop()


def test_the_progress_scale_option_is_checked() -> None:
    for bad in ("percent", "0", "-1", "nan"):
        with pytest.raises(ValueError, match="progressScale"):
            kind_of(KIND).check_options({"progressScale": bad})
    assert progress_scale("") == 100.0
    assert progress_scale("1") == 1.0
