"""jobs-api (seed 002) against a fake Jobs API: only the tracked jobs, polled; a job the
server forgets stays with its last state, marked expired; after a snapshot, changes, a
reset mid-answer, a restart and a bad token the store equals the backend's truth."""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial

import pytest

from jobdesk.client.capabilities import Can
from jobdesk.client.kinds import SourceContext, kind_of, make_source
from jobdesk.client.sources.jobs_api import tracked_ids
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from tests.client.adapters.harness import agrees, running_kind
from tests.client.adapters.seed002 import Seed002, differences
from tests.client.engine_harness import FAST
from tests.client.faultproxy import FaultProxy


@pytest.fixture
async def fake() -> AsyncIterator[Seed002]:
    server = Seed002()
    await server.start()
    yield server
    await server.stop()


def four(fake: Seed002) -> list[str]:
    """Queued, processing, completed, failed."""
    ids = [fake.create() for _ in range(4)]
    fake.update(ids[1], 45, "Extracting document data...")
    fake.complete(ids[2], "doc_123abc")
    fake.fail(ids[3], "Invalid file format")
    return ids


def option(ids: list[str]) -> dict[str, str]:
    return {"jobs": ",".join(ids)}


def test_the_kind_says_what_seed_002_offers() -> None:
    kind = kind_of("jobs-api")
    assert kind.capabilities.delivery == "polled"
    assert kind.capabilities.poll_every == 2.0
    assert Can.PROGRESS in kind.capabilities
    assert kind.capabilities.lacks()[0] == "list jobs"
    assert not kind.needs_token
    assert kind.check_options({})["jobs"] == ""


def test_tracked_ids_are_read_in_order_once() -> None:
    assert tracked_ids(" a, b,,a ,c\nd") == ["a", "b", "c", "d"]
    assert tracked_ids("") == []


async def test_snapshot_then_changes_of_the_tracked_jobs_only(fake: Seed002) -> None:
    ids = four(fake)
    untracked = fake.create()
    tracked = [*ids, "job_never_was"]
    async with running_kind(fake.url, "", "jobs-api", option(tracked)) as run:
        await agrees(run, partial(differences, fake, tracked))
        assert untracked not in run.store.server("srv").jobs
        fake.update(ids[0], 10, "Uploading file to storage...")
        fake.update(ids[1], 90, "Almost there")
        await agrees(run, partial(differences, fake, tracked))
        fake.complete(ids[0], "doc_1")
        await agrees(run, partial(differences, fake, tracked))
        job = run.store.server("srv").jobs[ids[0]]
        assert job.finished_at == fake.jobs[ids[0]]["timestamp"]
        assert job.started_at is not None
        assert run.engine.handshakes == 0


async def test_a_job_the_server_forgot_stays_expired_with_its_last_state(fake: Seed002) -> None:
    ids = four(fake)
    async with running_kind(fake.url, "", "jobs-api", option(ids)) as run:
        await agrees(run, partial(differences, fake, ids))
        view = run.store.server("srv")
        fake.expire(ids[2])
        fake.expire(ids[3])
        await agrees(run, partial(differences, fake, ids))
        done = view.jobs[ids[2]]
        assert done.status.value == "completed"
        assert done.progress == 100.0
        assert done.message == "expired: Document processed successfully"
        assert view.jobs[ids[3]].error == "Invalid file format"
        confirmed = run.store.confirmed_at(("srv", ids[2]))  # its last answer's time
        fake.update(ids[1], 50, "Halfway")
        await agrees(run, partial(differences, fake, ids))
        assert run.store.confirmed_at(("srv", ids[2])) == confirmed  # as old as it was
        assert run.store.confirmed_at(("srv", ids[1])) != confirmed


async def test_the_detail_of_an_expired_job_is_its_last_state(fake: Seed002) -> None:
    ids = four(fake)
    source = make_source("jobs-api", SourceContext(fake.url, "", FAST), option(ids))
    try:
        await source.poll(JobStore(), "srv", 0.0)
        fake.expire(ids[2])
        whole = await source.fetch_job(ids[2])
        assert whole is not None
        assert whole.result == {"documentId": "doc_123abc"}
        assert whole.message == "expired: Document processed successfully"
        assert await source.fetch_job("job_never_was") is None
    finally:
        await source.aclose()


async def test_a_reset_mid_answer(fake: Seed002) -> None:
    ids = four(fake)
    with FaultProxy(("127.0.0.1", fake.port)) as proxy:
        async with running_kind(proxy.url, "", "jobs-api", option(ids)) as run:
            await agrees(run, partial(differences, fake, ids))
            proxy.cut_after(60)  # answers break off inside their body
            await run.until(Transport.OFFLINE)
            fake.update(ids[0], 30, "Resumed")
            fake.complete(ids[1], "doc_2")
            proxy.heal()
            await agrees(run, partial(differences, fake, ids))
            await run.until(Transport.POLLING)


async def test_restarted_with_its_jobs_kept_and_restarted_without(fake: Seed002) -> None:
    ids = four(fake)
    async with running_kind(fake.url, "", "jobs-api", option(ids)) as run:
        await agrees(run, partial(differences, fake, ids))
        await fake.stop()
        await run.until(Transport.OFFLINE)
        fake.update(ids[0], 20, "Changed while down")
        await fake.start()  # the same jobs (a server that keeps them)
        await agrees(run, partial(differences, fake, ids))
        await fake.restart()  # the seed's in-memory store: every job forgotten
        await agrees(run, partial(differences, fake, ids))
        view = run.store.server("srv")
        assert view.jobs[ids[0]].stale  # unfinished and forgotten: nothing will move it
        assert view.jobs[ids[0]].message == "gone from the server: Changed while down"
        assert not view.jobs[ids[2]].stale


async def test_a_bad_token_stops_until_a_good_one() -> None:
    fake = Seed002(token="jobs-token")
    await fake.start()
    try:
        ids = four(fake)
        async with running_kind(fake.url, "wrong", "jobs-api", option(ids)) as run:
            await run.until(Transport.AUTH_FAILED)
            assert run.store.server("srv").jobs == {}
            run.engine.set_token("jobs-token")
            await agrees(run, partial(differences, fake, ids))
    finally:
        await fake.stop()


async def test_no_token_sends_no_credentials(fake: Seed002) -> None:
    ids = four(fake)
    source = make_source("jobs-api", SourceContext(fake.url, "", FAST), option(ids))
    try:
        job = await source.fetch_job(ids[1])
        assert job is not None
        assert (job.progress, job.message) == (45.0, "Extracting document data...")
        assert job.sub_operations == []
        assert job.messages == []
    finally:
        await source.aclose()
