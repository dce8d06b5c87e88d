"""admin-api (seed 001) against a fake admin job store: the store ends equal to the
backend's truth after a snapshot, changes, a reset mid-answer, a restart and a bad token."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import pytest

from jobdesk.client.capabilities import Can
from jobdesk.client.kinds import SourceContext, kind_of, make_source
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from tests.client.adapters.harness import agrees, running_kind
from tests.client.adapters.seed001 import Seed001, differences
from tests.client.engine_harness import FAST
from tests.client.faultproxy import FaultProxy

TOKEN = "admin-token"


@pytest.fixture
async def fake() -> AsyncIterator[Seed001]:
    server = Seed001(TOKEN)
    await server.start()
    yield server
    await server.stop()


def busy(fake: Seed001) -> list[str]:
    """Five jobs, more than two pages: running, finished, failed, with steps and messages."""
    ids = [fake.create() for _ in range(5)]
    fake.progress(ids[0], 0.25, step="data-loading")
    fake.message(ids[0], "info", "Processing question 1")
    fake.finish(ids[1])
    fake.message(ids[2], "error", "API rate limit exceeded")
    fake.finish(ids[2], error="rate limited")
    return ids


def test_the_kind_says_what_seed_001_offers() -> None:
    caps = kind_of("admin-api").capabilities
    assert caps.delivery == "polled"
    assert Can.LIST | Can.PROGRESS | Can.LOGS | Can.FORCE_FAIL | Can.HEALTH in caps
    for lacking in (Can.PUSH, Can.CANCEL, Can.RETRY, Can.SUBMIT, Can.STATS):
        assert lacking not in caps


async def test_snapshot_then_changes(fake: Seed001) -> None:
    ids = busy(fake)
    async with running_kind(fake.url, TOKEN, "admin-api") as run:
        await agrees(run, partial(differences, fake))
        assert run.transport is Transport.POLLING
        fake.progress(ids[0], 0.75, step="question-processing")
        fake.finish(ids[3])
        new = fake.create("fact-check")
        fake.message(new, "warning", "Low confidence in answer")
        await agrees(run, partial(differences, fake))
        del fake.jobs[ids[1]]  # retired from the past jobs (MAX_PAST_JOBS)
        await agrees(run, partial(differences, fake))
        assert run.engine.handshakes == 0


async def test_unchanged_jobs_keep_their_version_across_polls(fake: Seed001) -> None:
    ids = busy(fake)
    async with running_kind(fake.url, TOKEN, "admin-api") as run:
        await agrees(run, partial(differences, fake))
        view = run.store.server("srv")
        before = {i: job.version for i, job in view.jobs.items()}
        fake.progress(ids[0], 0.5)
        await agrees(run, partial(differences, fake))
        after = {i: job.version for i, job in view.jobs.items()}
        assert after == {**before, ids[0]: before[ids[0]] + 1}


async def test_a_reset_mid_answer(fake: Seed001) -> None:
    ids = busy(fake)
    with FaultProxy(("127.0.0.1", fake.port)) as proxy:
        async with running_kind(proxy.url, TOKEN, "admin-api") as run:
            await agrees(run, partial(differences, fake))
            proxy.cut_after(300)  # every answer breaks off a few hundred bytes in
            await run.until(Transport.OFFLINE)
            fake.finish(ids[0])
            fake.create()
            proxy.heal()
            await agrees(run, partial(differences, fake))
            await run.until(Transport.POLLING)


async def test_the_server_restarted_with_nothing(fake: Seed001) -> None:
    busy(fake)
    async with running_kind(fake.url, TOKEN, "admin-api") as run:
        await agrees(run, partial(differences, fake))
        await fake.stop()
        await run.until(Transport.OFFLINE)
        fake.forget()  # the seed's store is in memory
        await fake.start()
        fresh = fake.create()
        fake.progress(fresh, 0.1)
        await agrees(run, partial(differences, fake))
        assert set(run.store.server("srv").jobs) == {fresh}


async def test_a_bad_token_stops_until_a_good_one(fake: Seed001) -> None:
    busy(fake)
    async with running_kind(fake.url, "wrong", "admin-api") as run:
        await run.until(Transport.AUTH_FAILED)
        assert run.store.server("srv").jobs == {}
        run.engine.set_token(TOKEN)
        await agrees(run, partial(differences, fake))


async def test_one_job_whole_from_its_progress_endpoint(fake: Seed001) -> None:
    ids = busy(fake)
    context = SourceContext(fake.url, TOKEN, FAST)
    source = make_source("admin-api", context)
    try:
        assert await source.fetch_job("job-none") is None
        alone = await source.fetch_job(ids[0])  # not listed yet: the progress alone
        assert alone is not None
        assert [s.name for s in alone.sub_operations] == ["data-loading"]
        assert alone.sub_operations[0].progress == 25.0
        await source.poll(JobStore(), "srv", 0.0)
        fake.progress(ids[0], 0.5, step="question-processing")
        job = await source.fetch_job(ids[0])
        assert job is not None
        assert job.progress == 50.0  # fresher than the list
        assert [(s.name, s.progress) for s in job.sub_operations] == [
            ("data-loading", 25.0),
            ("question-processing", 50.0),
        ]
        assert [(m.level, m.text) for m in job.messages] == [("info", "Processing question 1")]
        assert job.owner == "admin@example.com"
    finally:
        await source.aclose()
