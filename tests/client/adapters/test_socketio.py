"""The ``socketio`` backend (seed 004) against a real python-socketio server.

After each scenario the store equals the service's truth, job by job: the jobs of the
subscribed user and the named job ids, with their canonical status, progress, message
and error.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator, Mapping

import pytest

from jobdesk.client.capabilities import Capabilities
from jobdesk.client.engine import Engine
from jobdesk.client.kinds import kind_of
from jobdesk.client.settings import EngineSettings
from jobdesk.client.sources.socketio_options import CAPABILITIES, SocketIoOptions
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from jobdesk.protocol import Status
from jobdesk.protocol.status import parse_status
from tests.client.adapters.sio_server import FakeSocketIoServer
from tests.client.engine_harness import FAST, Running
from tests.client.faultproxy import FaultProxy
from tests.polling import eventually

TOKEN = "good-token"
OPTIONS = {"userId": "u1", "jobIds": "named"}
Canonical = tuple[Status, float, str, str | None]


@pytest.fixture
async def fake() -> AsyncIterator[FakeSocketIoServer]:
    server = FakeSocketIoServer(TOKEN)
    await asyncio.to_thread(server.start)
    yield server
    await asyncio.to_thread(server.close)


@contextlib.asynccontextmanager
async def running(
    url: str,
    token: str = TOKEN,
    options: Mapping[str, str] = OPTIONS,
    capabilities: Capabilities = CAPABILITIES,
    settings: EngineSettings = FAST,
) -> AsyncIterator[Running]:
    store = JobStore()
    engine = Engine("srv", url, token, store, settings=settings, kind="socketio", options=options)
    engine.capabilities = capabilities
    run = Running(engine, store)
    engine.state.subscribe(run.states.append)
    task = asyncio.create_task(engine.run())
    try:
        yield run
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


def truth(fake: FakeSocketIoServer, user: str = "u1", named: str = "named") -> dict[str, Canonical]:
    """What the monitor must show: the user's jobs and the named one, canonically."""
    return {
        job.id: (parse_status(job.status), job.progress, job.message, job.error)
        for job in fake.jobs.values()
        if job.user_id == user or job.id == named
    }


def shown(run: Running) -> dict[str, Canonical]:
    jobs = run.store.server("srv").jobs
    return {i: (j.status, j.progress, j.message, j.error) for i, j in jobs.items()}


async def assert_equal(run: Running, fake: FakeSocketIoServer, within: float = 15.0) -> None:
    try:
        await eventually(lambda: shown(run) == truth(fake), within)
    except AssertionError:
        raise AssertionError(f"store {shown(run)} != service {truth(fake)}") from None


async def some_changes(fake: FakeSocketIoServer, prefix: str) -> None:
    await fake.call(fake.progress(f"{prefix}-1", 10, "started"))
    await fake.call(fake.progress(f"{prefix}-2", 5, "loading"))
    await fake.call(fake.progress(f"{prefix}-1", 60, "more than half"))
    await fake.call(fake.complete(f"{prefix}-1", {"documentId": "doc_1"}))
    await fake.call(fake.fail(f"{prefix}-2", "Invalid file format"))
    await fake.call(fake.progress(f"{prefix}-3", 40, "going"))


async def test_the_kind_is_registered_with_every_name_configurable() -> None:
    kind = kind_of("socketio")
    assert kind.capabilities.delivery == "live, no replay"
    assert kind.capabilities.poll_every == 3.0
    assert "submit jobs" in kind.capabilities.lacks()
    chosen = SocketIoOptions.from_options(
        kind.check_options({"userId": "u9", "jobIds": "a, b", "userKey": "user", "jobKey": "id"})
    )
    assert chosen.subscriptions() == [{"user": "u9"}, {"id": "a"}, {"id": "b"}]
    assert (chosen.progress_event, chosen.job_url, chosen.path) == (
        "job:progress",
        "/api/jobs/{id}",
        "socket.io",
    )


async def test_snapshot_then_live_changes(fake: FakeSocketIoServer) -> None:
    """The named job is fetched on connect; the user's jobs arrive by their events;
    another user's never show."""
    await fake.call(fake.progress("named", 30, "half way there", user_id="u2"))
    async with running(fake.url) as run:
        await run.until(Transport.LIVE)
        await assert_equal(run, fake)
        assert fake.subscriptions == [{"userId": "u1"}, {"jobId": "named"}]
        await some_changes(fake, "a")
        await fake.call(fake.progress("other", 50, "not ours", user_id="u3"))
        await fake.call(fake.progress("named", 80, "nearly"))
        await assert_equal(run, fake)
        assert "other" not in run.store.server("srv").jobs
        assert run.store.server("srv").jobs["a-1"].owner == "u1"

        whole = await run.engine.fetch_job("a-1")
        assert whole is not None
        assert (whole.status, whole.result) == (Status.COMPLETED, {"documentId": "doc_1"})
        assert [m.text for m in whole.messages] == ["started", "more than half"]
        assert await run.engine.fetch_job("nope") is None


async def test_a_reset_mid_stream_is_caught_up_by_the_reconnect_fetch(
    fake: FakeSocketIoServer,
) -> None:
    with FaultProxy(("127.0.0.1", fake.port)) as proxy:
        async with running(proxy.url) as run:
            await run.until(Transport.LIVE)
            await some_changes(fake, "a")
            await assert_equal(run, fake)
            proxy.reset_all()
            await eventually(lambda: run.transport is not Transport.LIVE)
            # events while the socket is down are lost; the reconnect fetch finds them
            await fake.call(fake.progress("a-3", 90, "almost"))
            await fake.call(fake.complete("a-3", None))
            await run.until(Transport.LIVE)
            await assert_equal(run, fake)
            await fake.call(fake.progress("a-4", 1, "after the reset"))
            await assert_equal(run, fake)
            assert run.engine.handshakes >= 2
            assert fake.subscriptions.count({"userId": "u1"}) >= 2


async def test_the_server_restarted(fake: FakeSocketIoServer) -> None:
    async with running(fake.url) as run:
        await run.until(Transport.LIVE)
        await some_changes(fake, "a")
        await assert_equal(run, fake)
        await asyncio.to_thread(fake.stop)
        await eventually(lambda: run.transport is not Transport.LIVE)
        await fake.call(fake.progress("a-3", 70, "while it was down"))
        await asyncio.to_thread(fake.start)
        await run.until(Transport.LIVE, within=20)
        await assert_equal(run, fake)
        await fake.call(fake.fail("a-3", "out of memory"))
        await assert_equal(run, fake)


async def test_a_bad_token_stops_until_a_new_one(fake: FakeSocketIoServer) -> None:
    await fake.call(fake.progress("named", 30, "half way there"))
    async with running(fake.url, token="wrong") as run:
        await run.until(Transport.AUTH_FAILED)
        assert run.engine.state.value.detail == "invalid token"
        assert run.store.server("srv").jobs == {}
        run.engine.set_token(TOKEN)
        await run.until(Transport.LIVE)
        await assert_equal(run, fake)
        await some_changes(fake, "a")
        await assert_equal(run, fake)


async def test_while_the_socket_is_down_the_tracked_jobs_are_polled(
    fake: FakeSocketIoServer,
) -> None:
    """The seed's fallback: GET /api/jobs/{id} for the unfinished tracked jobs, until the
    socket is back (the interval shrunk from its 3 s)."""
    quick = Capabilities(CAPABILITIES.can, poll_every=0.2)
    async with running(fake.url, capabilities=quick) as run:
        await run.until(Transport.LIVE)
        await some_changes(fake, "a")
        await fake.call(fake.progress("a-6", 10, "will vanish"))
        await assert_equal(run, fake)
        await fake.call(fake.set_sockets_down(True))
        await run.until(Transport.POLLING)
        await fake.call(fake.progress("a-3", 75, "polled"))
        await assert_equal(run, fake)
        await fake.call(fake.complete("a-3", {"documentId": "doc_3"}))
        del fake.jobs["a-6"]  # answers 404 now: removed
        await assert_equal(run, fake)
        assert run.transport is Transport.POLLING
        await fake.call(fake.set_sockets_down(False))
        await run.until(Transport.LIVE)
        await fake.call(fake.progress("a-5", 20, "live again"))
        await assert_equal(run, fake)


async def test_a_hung_server_is_noticed_by_its_missing_pings(fake: FakeSocketIoServer) -> None:
    """Socket.IO's keep-alive is the server's ping: a connection whose pings stop is
    dropped after pingInterval + pingTimeout, and the engine says "not answering"."""
    settings = dataclasses.replace(FAST, unreachable_after=1.5)
    with FaultProxy(("127.0.0.1", fake.port)) as proxy:
        async with running(proxy.url, settings=settings) as run:
            await run.until(Transport.LIVE)
            await some_changes(fake, "a")
            await assert_equal(run, fake)
            proxy.black_hole(True)
            await run.until(Transport.OFFLINE)
            await fake.call(fake.progress("a-3", 95, "while it hung"))
            proxy.black_hole(False)
            await run.until(Transport.LIVE, within=20)
            await assert_equal(run, fake)


async def test_every_name_is_an_option() -> None:
    """A service that calls everything differently is followed once the options say so."""
    names = {
        "path": "rt",
        "namespace": "/jobs",
        "subscribeEvent": "watch",
        "userKey": "owner",
        "jobKey": "id",
        "progressEvent": "progress",
        "completedEvent": "done",
        "errorEvent": "broke",
        "jobUrl": "/v2/job/{id}/state",
        "authKey": "apiKey",
    }
    renamed = FakeSocketIoServer(TOKEN, names=names)
    await asyncio.to_thread(renamed.start)
    try:
        await renamed.call(renamed.progress("named", 30, "half way there", user_id="u2"))
        async with running(renamed.url, options={**OPTIONS, **names}) as run:
            await run.until(Transport.LIVE)
            await assert_equal(run, renamed)
            assert renamed.subscriptions == [{"owner": "u1"}, {"id": "named"}]
            await some_changes(renamed, "a")
            await assert_equal(run, renamed)
    finally:
        await asyncio.to_thread(renamed.close)
