"""The appsync adapter against the real AppSync simulator: after a snapshot, live
changes, a dropped connection, a restart and a bad API key, the store equals the
simulator's jobs, job by job."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from jobdesk.client.actions import SubmitError
from jobdesk.client.engine import Engine
from jobdesk.client.kinds import kind_of
from jobdesk.client.sources import appsync_mapping as mapping
from jobdesk.client.sources.appsync import AppSyncSource, request_text
from jobdesk.client.sources.appsync_graphql import GraphQLClient, endpoints
from jobdesk.client.sources.appsync_session import connection_timeout
from jobdesk.client.sources.appsync_submit import JobSubmissionError, SubmissionCode, submit_job
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from jobdesk.protocol import ErrorCode, Priority
from jobdesk.protocol.rest import CreateJobRequest
from jobdesk.protocol.status import parse_status
from jobdesk.protocol.timestamps import parse_timestamp
from tests.client.adapters.appsync_sim import API_KEY, Simulator, installed
from tests.client.engine_harness import FAST, Running
from tests.polling import eventually, eventually_async

SERVER = "appsync"
pytestmark = pytest.mark.timeout(
    1800
)  # the first test may install node (apt) and the simulator (npm)


@pytest.fixture(scope="session")
def modules() -> Path:
    return installed()


@pytest.fixture
def simulator(modules: Path, tmp_path: Path) -> Iterator[Simulator]:
    sim = Simulator(modules, tmp_path / "jobs.json")
    yield sim
    sim.stop()


@contextlib.asynccontextmanager
async def watching(sim: Simulator, token: str = API_KEY, **options: str) -> AsyncIterator[Running]:
    store = JobStore()
    engine = Engine(SERVER, sim.url, token, store, settings=FAST, kind="appsync", options=options)
    running = Running(engine, store)
    engine.state.subscribe(running.states.append)
    task = asyncio.create_task(engine.run())
    try:
        yield running
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def canonical(job: dict[str, Any]) -> tuple[Any, ...]:
    """What the store must show of one simulator job, read without the adapter's mapping."""
    return (
        job["id"],
        job["request"],
        parse_status(job["status"]),
        Priority(job["priority"]),
        parse_timestamp(job["createdAt"]),
        parse_timestamp(job["updatedAt"]),
    )


async def assert_equal(
    running: Running, sim: Simulator, within: float = 15.0, only: set[str] | None = None
) -> None:
    """The store equals the simulator's truth (or its jobs ``only``), job by job."""

    async def same() -> bool:
        jobs = await sim.jobs()
        truth = {i: canonical(job) for i, job in jobs.items() if only is None or i in only}
        shown = {
            i: (
                job.id,
                job.name,
                job.status,
                job.priority,
                parse_timestamp(job.created_at),
                parse_timestamp(job.updated_at),
            )
            for i, job in running.store.server(SERVER).jobs.items()
        }
        return truth == shown

    await eventually_async(same, within)


async def test_snapshot_then_live_changes(simulator: Simulator) -> None:
    first = await simulator.submit("resize images", "HIGH")
    second = await simulator.submit("send mail", "LOW")
    await simulator.update(first, "PROCESSING")
    async with watching(simulator, newJobsSubscription=mapping.NEW_JOBS_SUBSCRIPTION) as run:
        await run.until(Transport.LIVE)
        await assert_equal(run, simulator)
        await simulator.update(first, "COMPLETED", "42 images")
        await simulator.update(second, "FAILED", "smtp down")
        third = await simulator.submit("new while live")
        await assert_equal(run, simulator)
        await simulator.update(third, "IN_PROGRESS")
        await assert_equal(run, simulator)
        jobs = run.store.server(SERVER).jobs
        assert jobs[first].progress == 100.0
        assert jobs[first].message == "42 images"
        assert jobs[second].error == "smtp down"
        # no replay: the updates came live, not from another list
        assert run.engine.handshakes == 1


async def test_without_a_new_jobs_subscription_the_list_is_read_again(
    simulator: Simulator,
) -> None:
    """The defaults: per-job subscriptions only, so a job created while live is found by
    the next list (``relistEvery``), then followed by its own subscription."""
    async with watching(simulator, relistEvery="0.3") as run:
        await run.until(Transport.LIVE)
        job = await simulator.submit("created while live")
        await eventually(lambda: job in run.store.server(SERVER).jobs)
        await simulator.update(job, "PROCESSING")
        await assert_equal(run, simulator)
        await simulator.update(job, "COMPLETED", "ok")
        await assert_equal(run, simulator)
        assert run.engine.handshakes == 1


async def test_the_store_follows_through_a_dropped_connection(simulator: Simulator) -> None:
    job = await simulator.submit("long one")
    async with watching(simulator) as run:
        await run.until(Transport.LIVE)
        await assert_equal(run, simulator)
        simulator.drop()
        await simulator.update(job, "PROCESSING")  # while the adapter is reconnecting
        added = await simulator.submit("born in the gap")
        await eventually(lambda: run.engine.handshakes >= 2)
        await run.until(Transport.LIVE)
        await assert_equal(run, simulator)
        await simulator.update(added, "COMPLETE", "done")
        await assert_equal(run, simulator)


async def test_the_store_follows_a_restarted_simulator(simulator: Simulator) -> None:
    kept = await simulator.submit("survives the restart")
    changed = await simulator.submit("changes while down")
    async with watching(simulator) as run:
        await run.until(Transport.LIVE)
        await assert_equal(run, simulator)
        await asyncio.to_thread(simulator.stop)
        await eventually(lambda: run.transport is not Transport.LIVE)
        jobs = json.loads(simulator.state.read_text())
        for job in jobs:
            if job["id"] == changed:
                job.update(status="ERROR", result="lost", updatedAt="2026-01-01T00:00:00.000Z")
        jobs = [job for job in jobs if job["id"] != kept] + [
            {
                "id": "restored-1",
                "status": "PENDING",
                "request": "restored",
                "priority": "LOW",
                "result": None,
                "createdAt": "2026-01-01T00:00:00.000Z",
                "updatedAt": "2026-01-01T00:00:00.000Z",
            }
        ]
        simulator.state.write_text(json.dumps(jobs))
        await asyncio.to_thread(simulator.start)
        await run.until(Transport.LIVE, within=30)
        await assert_equal(run, simulator)
        assert kept not in run.store.server(SERVER).jobs
        await simulator.update("restored-1", "PROCESSING")
        await assert_equal(run, simulator)


async def test_a_bad_api_key_stops_until_a_new_one(simulator: Simulator) -> None:
    await simulator.submit("secret")
    async with watching(simulator, token="da2-wrong") as run:
        await run.until(Transport.AUTH_FAILED)
        assert run.store.server(SERVER).jobs == {}
        run.engine.set_token(API_KEY)
        await run.until(Transport.LIVE)
        await assert_equal(run, simulator)


async def test_a_refused_subscription_falls_back_to_polling(simulator: Simulator) -> None:
    """A subscription the backend answers with ``error`` ends the session; the engine
    backs off and polls the list meanwhile, so the store still follows."""
    job = await simulator.submit("polled")
    broken = "subscription OnJobUpdate($id: ID!) { noSuchField(id: $id) { id } }"
    async with watching(simulator, jobSubscription=broken) as run:
        await run.until(Transport.POLLING)
        await assert_equal(run, simulator)
        await simulator.update(job, "PROCESSING")
        await assert_equal(run, simulator)
        assert not run.seen(Transport.LIVE)
        assert any("failed" in state.detail for state in run.states)


async def test_a_cognito_id_token_authorizes_as_a_bearer(simulator: Simulator) -> None:
    """The id token travels bare in ``Authorization`` (handshake, starts and HTTP)."""
    job = await simulator.submit("as a user")
    async with watching(simulator, token=cognito_token(), auth="cognito") as run:
        await run.until(Transport.LIVE)
        await assert_equal(run, simulator)
        await simulator.update(job, "COMPLETED")
        await assert_equal(run, simulator)


async def test_without_a_list_only_the_named_and_submitted_jobs_are_followed(
    simulator: Simulator,
) -> None:
    named = await simulator.submit("named")
    await simulator.submit("not named")
    async with watching(simulator, listQuery="none", jobs=named) as run:
        await run.until(Transport.LIVE)
        source = run.engine._source
        assert isinstance(source, AppSyncSource)
        mine = await source.submit_text("from jobdesk", Priority.HIGH)
        await eventually(lambda: set(run.store.server(SERVER).jobs) == {named, mine.id})
        await simulator.update(mine.id, "PROCESSING")
        await simulator.update(named, "COMPLETED")
        await assert_equal(run, simulator, only={named, mine.id})


async def test_the_monitors_new_job_goes_through_the_engine_as_a_mutation(
    simulator: Simulator,
) -> None:
    """What the New job dialog does: ``Engine.submit`` with a canonical request."""
    async with watching(simulator, listQuery="none") as run:
        await run.until(Transport.LIVE)
        request = CreateJobRequest(name="render trailer", priority=Priority.HIGH, payload=None)
        job_id = await run.engine.submit(request)
        await eventually(lambda: job_id in run.store.server(SERVER).jobs)
        stored = run.store.server(SERVER).jobs[job_id]
        assert (stored.name, stored.priority) == ("render trailer", Priority.HIGH)
        with pytest.raises(SubmitError) as refused:
            await run.engine.submit(CreateJobRequest())  # no text at all
        assert refused.value.code is ErrorCode.INVALID_INPUT
    assert request_text(CreateJobRequest(payload="resize 40 images")) == "resize 40 images"
    assert request_text(CreateJobRequest(payload={"n": 1})) == '{"n": 1}'


async def test_submission_errors_carry_the_seed_codes(simulator: Simulator) -> None:
    context = kind_of("appsync").check_options({})
    source = AppSyncSource(simulator.url, API_KEY, FAST, context)
    try:
        job = await source.submit_text("fine", "LOW")
        assert (job.status, job.priority, job.name) == (parse_status("PENDING"), "LOW", "fine")
        for request, priority, code in [
            ("", "HIGH", SubmissionCode.INVALID_INPUT),
            ("x", "URGENT", SubmissionCode.INVALID_INPUT),
            ("   ", "HIGH", SubmissionCode.INVALID_INPUT),
        ]:
            with pytest.raises(JobSubmissionError) as caught:
                await source.submit_text(request, priority)
            assert caught.value.code is code
        source.set_token("da2-wrong")
        with pytest.raises(JobSubmissionError) as caught:
            await source.submit_text("x")
        assert caught.value.code is SubmissionCode.AUTH_REQUIRED
        source.set_token("")
        with pytest.raises(JobSubmissionError) as caught:
            await source.submit_text("x")
        assert caught.value.code is SubmissionCode.AUTH_REQUIRED
    finally:
        await source.aclose()
    down = GraphQLClient(simulator.url, "apiKey", API_KEY, timeout=1.0)
    await asyncio.to_thread(simulator.stop)
    delays: list[float] = []

    async def pause(delay: float) -> None:
        delays.append(delay)

    try:
        with pytest.raises(JobSubmissionError) as caught:
            await submit_job(down, token=API_KEY, request="x", sleep=pause)
        assert caught.value.code is SubmissionCode.SUBMISSION_FAILED
        assert delays == [1.0, 2.0, 4.0]  # the seed's retries: 3, from 1 s, doubling
    finally:
        await down.aclose()


async def test_one_job_is_fetched_whole(simulator: Simulator) -> None:
    job_id = await simulator.submit("report")
    await simulator.update(job_id, "COMPLETE", "report.pdf")
    source = AppSyncSource(simulator.url, API_KEY, FAST, kind_of("appsync").check_options({}))
    try:
        job = await source.fetch_job(job_id)
        assert job is not None
        assert (job.id, job.name, job.status, job.result) == (
            job_id,
            "report",
            parse_status("COMPLETE"),
            "report.pdf",
        )
        assert await source.fetch_job("no-such-job") is None
    finally:
        await source.aclose()


async def test_silence_past_the_connection_timeout_reconnects(
    modules: Path, tmp_path: Path
) -> None:
    """Keep-alives watched: a connection whose ``ka`` stop is dropped after the ack's
    ``connectionTimeout`` and made again, and nothing is lost meanwhile."""
    sim = Simulator(modules, tmp_path / "jobs.json", keepalive_ms=200, timeout_ms=1500)
    try:
        job = await sim.submit("quiet")
        async with watching(sim) as run:
            await run.until(Transport.LIVE)
            sim.mute()
            await sim.update(job, "PROCESSING")
            await eventually(lambda: run.engine.handshakes >= 2, within=20)
            sim.mute(False)
            await run.until(Transport.LIVE)
            await sim.update(job, "COMPLETED")
            await assert_equal(run, sim)
    finally:
        sim.stop()


@pytest.mark.parametrize(
    ("payload", "seconds"),
    [
        ({"connectionTimeoutMs": 300000}, 300.0),
        ({"connectionTimeout": 1500}, 1.5),
        ({}, 300.0),
        (None, 300.0),
        ({"connectionTimeoutMs": "soon"}, 300.0),
    ],
)
def test_the_ack_names_its_timeout_either_way(payload: object, seconds: float) -> None:
    assert connection_timeout(payload) == seconds


def test_the_realtime_url_is_derived_from_the_graphql_url() -> None:
    aws = endpoints("https://abc.appsync-api.eu-west-1.amazonaws.com/graphql")
    assert aws.realtime_url == "wss://abc.appsync-realtime-api.eu-west-1.amazonaws.com/graphql"
    assert aws.host == "abc.appsync-api.eu-west-1.amazonaws.com"
    local = endpoints("http://127.0.0.1:20002")
    assert (local.graphql_url, local.realtime_url) == (
        "http://127.0.0.1:20002/graphql",
        "ws://127.0.0.1:20002/graphql/realtime",
    )
    assert endpoints("http://h/graphql", "ws://other/rt").realtime_url == "ws://other/rt"


def cognito_token() -> str:
    """An id token as the simulator checks it: a JWT from a cognito-idp issuer (it
    verifies no signature)."""

    def part(value: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).decode().rstrip("=")

    claims = {"iss": "https://cognito-idp.eu-west-1.amazonaws.com/pool", "sub": "u1"}
    return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}.sig"
