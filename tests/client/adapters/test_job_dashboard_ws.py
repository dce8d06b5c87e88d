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
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from jobdesk.protocol import JobStats
from tests.client.adapters.harness import agrees, running_kind
from tests.client.adapters.seed001 import differences
from tests.client.adapters.seed003 import Seed003
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


async def test_the_socket_stays_up_while_pings_are_answered(fake: Seed003) -> None:
    busy(fake)
    async with running_kind(fake.url, TOKEN, KIND, settings=SETTINGS) as run:
        await run.until(Transport.LIVE)
        # quiet for over three silence timeouts, kept alive by ping/pong alone
        await eventually(lambda: fake.received["ping"] >= 20, within=15.0)
        assert fake.connections == 1
        assert run.transport is Transport.LIVE


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


async def test_a_partial_push_keeps_the_fields_it_leaves_out(fake: Seed003) -> None:
    """A job_update with only some fields is laid over the job's last state."""
    ids = busy(fake)
    source = make_source(KIND, SourceContext(fake.url, TOKEN, SETTINGS))
    try:
        store = JobStore()
        await source.poll(store, "srv", 0.0)
        job = await source.fetch_job(ids[0])
        assert job is not None and job.progress == 25.0
        assert await source.fetch_job("job-none") is None
    finally:
        await source.aclose()
