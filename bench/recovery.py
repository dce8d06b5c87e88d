"""Recovery: how soon the client's store is resynced after the server restarts, and how
soon polling takes over when the WebSocket fails while HTTP still works.

A real server process (``jobdesk.server.app.run_server``, 10,000 realistic jobs, see
``bench.procs``) and the real client: ``jobdesk.client.engine.Engine`` with the default
``EngineSettings`` into a ``JobStore``, in this process. Each trial starts a fresh engine
(so its backoff starts from scratch, as for a monitor that has been connected a while)
and waits until it is live with every job.

1. **Server restart**, graceful (SIGTERM: uvicorn closes the sockets with 1012) and
   SIGKILL (the kernel resets them). The server is started again on the same port at
   once; as soon as it listens, a worker creates a job on it. Measured from the moment
   it listens to the engine live again with the store holding that job (and equal to
   ``GET /api/jobs``). Baseline: the server's own time from process start to listening
   (its modules loaded from cached bytecode, as an installed server's are: see
   ``bench.procs.child_env``).
2. **WebSocket lost, HTTP working**: the engine talks to the server through a small
   TCP proxy (below) that, when switched, resets the open WebSocket and answers 503 to
   every new upgrade while passing plain HTTP on, like a reverse proxy with a broken
   WebSocket route. A job is created on the server right after the reset. Measured from
   the reset to the first successful poll (the engine's state becomes ``polling``) and
   to the store holding that job; then a job created while polling, until the store has
   it; then the route is healed, until the engine is live again. Baseline: what the
   settings promise (the first socket retry waits up to ``backoff_initial``; polling
   starts at the second failure, or after ``poll_after_down``; then every
   ``poll_interval_min``-``poll_interval_max``).
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import socket
import struct
import sys
import threading
import time
from collections.abc import Callable
from typing import Any, Final

import httpx

from bench import procs
from jobdesk.client.engine import Engine
from jobdesk.client.settings import EngineSettings
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.core.store import JobStore
from jobdesk.protocol import JobSummary
from tests.paged import aread_all

JOBS = 10_000
RESTARTS = 4
"""Trials of each kind of restart (the reconnect waits are random: full jitter)."""
BLOCKS = 3
WAIT_S = 40.0
SERVER = "bench"

# --- a proxy that breaks only the WebSocket ------------------------------------------

_BLOCKED: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
)


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST (SO_LINGER 0), as a dropped route or a crashed proxy would."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


class WebSocketBreaker:
    """A loopback TCP proxy on its own thread and event loop: it forwards everything
    until ``block()``, which resets every open WebSocket and answers 503 to new
    upgrades; plain HTTP requests keep flowing. ``heal()`` lets upgrades through again."""

    def __init__(self, upstream_port: int) -> None:
        self._upstream = upstream_port
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._blocking = False
        self._sockets: set[asyncio.StreamWriter] = set()
        """Both sides of every WebSocket passing through."""
        self._open: set[asyncio.StreamWriter] = set()
        """Both sides of every connection."""
        self._handlers: set[asyncio.Task[Any]] = set()
        self._server: asyncio.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{procs.HOST}:{self.port}"

    def __enter__(self) -> WebSocketBreaker:
        self._thread.start()
        self._server = self._call(asyncio.start_server(self._serve, procs.HOST, 0))
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc_info: object) -> None:
        async def close() -> None:
            assert self._server is not None
            self._server.close()
            for writer in list(self._open):
                _reset(writer)  # every connection: their handlers end by themselves
            if self._handlers:
                await asyncio.wait(list(self._handlers), timeout=5)

        self._call(close())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def block(self) -> float:
        """Reset the open WebSockets and refuse new ones; returns when it was done."""

        async def block() -> float:
            self._blocking = True
            for writer in list(self._sockets):
                _reset(writer)
            return time.monotonic()

        done: float = self._call(block())
        return done

    def heal(self) -> float:
        async def heal() -> float:
            self._blocking = False
            return time.monotonic()

        done: float = self._call(heal())
        return done

    def _call(self, work: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(work, self._loop).result(timeout=10)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        handler = asyncio.current_task()
        assert handler is not None
        self._handlers.add(handler)
        self._open.add(writer)
        try:
            await self._forward(reader, writer)
        finally:
            self._open.discard(writer)
            self._handlers.discard(handler)

    async def _forward(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        upgrade = b"upgrade: websocket" in head.lower()
        if upgrade and self._blocking:
            writer.write(_BLOCKED)
            with contextlib.suppress(ConnectionError):
                await writer.drain()
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(procs.HOST, self._upstream)
        except OSError:
            _reset(writer)
            return
        up_writer.write(head)
        pair = (writer, up_writer) if upgrade else ()
        self._sockets.update(pair)
        self._open.add(up_writer)
        try:
            await asyncio.gather(_pipe(reader, up_writer), _pipe(up_reader, writer))
        finally:
            self._sockets.difference_update(pair)
            self._open.discard(up_writer)
            for side in (writer, up_writer):
                side.close()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
        writer.write_eof()
    except (ConnectionError, OSError, RuntimeError):
        _reset(writer)


# --- the client under test -----------------------------------------------------------


@dataclasses.dataclass
class Watched:
    engine: Engine
    store: JobStore
    task: asyncio.Task[None]
    states: list[tuple[float, Transport]] = dataclasses.field(default_factory=list)

    def first(self, transport: Transport, after: float) -> float | None:
        return next((t for t, seen in self.states if seen is transport and t >= after), None)

    def has(self, job_id: str) -> bool:
        return self.store.get((SERVER, job_id)) is not None

    async def until(self, condition: Callable[[], bool], what: str) -> float:
        deadline = time.monotonic() + WAIT_S
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError(f"{what}: not within {WAIT_S:.0f} s")
            await asyncio.sleep(0.002)
        return time.monotonic()

    async def stop(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task


async def watch(url: str, token: str, jobs: int) -> Watched:
    store = JobStore()
    engine = Engine(SERVER, url, token, store, settings=EngineSettings())
    watched = Watched(engine, store, asyncio.create_task(engine.run()))

    def note(state: ConnectionState) -> None:
        watched.states.append((time.monotonic(), state.transport))

    engine.state.subscribe(note)
    await watched.until(
        lambda: engine.state.value.transport is Transport.LIVE and len(store) >= jobs,
        "the first load",
    )
    return watched


class Worker:
    """Creates jobs on the server directly (never through the proxy)."""

    def __init__(self, url: str, token: str) -> None:
        self._http = httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {token}"}, timeout=10
        )

    async def new_job(self, name: str) -> str:
        response = await self._http.post("/api/admin/jobs/start", json={"name": name})
        response.raise_for_status()
        job_id: str = response.json()["jobId"]
        return job_id

    async def check_equal(self, store: JobStore) -> None:
        """The store equals GET /api/jobs, field by field, at the same seq."""
        deadline = time.monotonic() + 10
        while True:
            snapshot = await aread_all(self._http, JobSummary)
            view = store.server(SERVER)
            if (view.epoch, view.seq) == (snapshot.epoch, snapshot.seq) and view.jobs == {
                job.id: job for job in snapshot.jobs
            }:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"the store is not the server's (seq {view.seq})")
            await asyncio.sleep(0.05)

    async def aclose(self) -> None:
        await self._http.aclose()


@dataclasses.dataclass
class RestartTrial:
    server_start: float
    """Process start to listening: the baseline."""
    listening_to_live: float
    listening_to_resynced: float
    stop_to_live: float


async def restart_trial(
    server: procs.ServerProc, tokens: dict[str, str], kill: bool
) -> RestartTrial:
    watched = await watch(server.url, tokens["viewer"], JOBS)
    stopped = time.monotonic()
    await asyncio.to_thread(server.kill if kill else server.stop)
    await asyncio.to_thread(server.start)
    listening = server.listening_at
    worker = Worker(server.url, tokens["worker"])
    try:
        job_id = await worker.new_job("made after the restart")
        resynced = await watched.until(
            lambda: watched.has(job_id) and watched.engine.state.value.transport is Transport.LIVE,
            "resynced after the restart",
        )
        live = watched.first(Transport.LIVE, after=stopped)
        assert live is not None
        await worker.check_equal(watched.store)
    finally:
        await watched.stop()
        await worker.aclose()
    return RestartTrial(
        server_start=listening - server.started,
        listening_to_live=live - listening,
        listening_to_resynced=resynced - listening,
        stop_to_live=live - stopped,
    )


@dataclasses.dataclass
class BlockTrial:
    loss_to_poll: float
    loss_to_correct: float
    change_to_store: float
    """A job created while polling, until the store has it."""
    heal_to_live: float


async def block_trial(server: procs.ServerProc, tokens: dict[str, str]) -> BlockTrial:
    worker = Worker(server.url, tokens["worker"])
    with WebSocketBreaker(server.port) as breaker:
        watched = await watch(breaker.url, tokens["viewer"], JOBS)
        try:
            lost = await asyncio.to_thread(breaker.block)
            during = await worker.new_job("made while the socket is blocked")
            correct = await watched.until(lambda: watched.has(during), "the first poll")
            polled = watched.first(Transport.POLLING, after=lost)
            assert polled is not None
            made = time.monotonic()
            later = await worker.new_job("made while polling")
            arrived = await watched.until(lambda: watched.has(later), "the next poll")
            healed = await asyncio.to_thread(breaker.heal)
            live = await watched.until(
                lambda: watched.engine.state.value.transport is Transport.LIVE, "live again"
            )
            await worker.check_equal(watched.store)
        finally:
            await watched.stop()
            await worker.aclose()
    return BlockTrial(
        loss_to_poll=polled - lost,
        loss_to_correct=correct - lost,
        change_to_store=arrived - made,
        heal_to_live=live - healed,
    )


def _s(seconds: float) -> str:
    return f"{seconds:.2f} s"


def _spread(values: list[float]) -> str:
    return f"{_s(procs.median(values))} ({_s(min(values))}-{_s(max(values))})"


async def run() -> int:
    settings = EngineSettings()
    began = time.monotonic()
    print(procs.machine())
    print(
        "EngineSettings (defaults): "
        + ", ".join(f"{f.name}={getattr(settings, f.name)}" for f in dataclasses.fields(settings))
    )
    with procs.scratch("jobdesk-bench-recovery-") as home:
        tokens = procs.seed_database(home / "jobs.db", procs.make_jobs(JOBS))
        print(f"{JOBS:,} jobs on the server: {procs.JOB_DESCRIPTION}\n")
        server = procs.ServerProc(home / "jobs.db", env=procs.child_env(home))
        await asyncio.to_thread(server.start)
        try:
            restarts: dict[str, list[RestartTrial]] = {"SIGTERM (graceful)": [], "SIGKILL": []}
            for _ in range(RESTARTS):
                for kind, trials in restarts.items():
                    trials.append(await restart_trial(server, tokens, kill=kind == "SIGKILL"))
            blocks = [await block_trial(server, tokens) for _ in range(BLOCKS)]
        finally:
            await asyncio.to_thread(server.stop)

    print(f"1. Server restart, {RESTARTS} trials each: median (min-max)")
    rows = []
    for kind, trials in restarts.items():
        rows.append(
            [
                kind,
                _spread([t.server_start for t in trials]),
                _spread([t.listening_to_live for t in trials]),
                _spread([t.listening_to_resynced for t in trials]),
                _spread([t.stop_to_live for t in trials]),
            ]
        )
    print(
        procs.table(
            [
                "restart",
                "baseline: server start to listening",
                "listening to live",
                "listening to resynced",
                "stop to live",
            ],
            rows,
        )
    )
    print(
        "\n2. WebSocket reset and refused (503) while HTTP works, "
        f"{BLOCKS} trials: median (min-max)"
    )
    first_retry = f"0-{settings.backoff_initial:g} s"
    rows = [
        [
            "socket lost to first successful poll",
            _spread([t.loss_to_poll for t in blocks]),
            f"first retry {first_retry}, poll at the 2nd failure "
            f"(at most {settings.poll_after_down:g} s)",
        ],
        [
            "socket lost to a change made then in the store",
            _spread([t.loss_to_correct for t in blocks]),
            "as above",
        ],
        [
            "a change made while polling, to the store",
            _spread([t.change_to_store for t in blocks]),
            f"poll every {settings.poll_interval_min:g}-{settings.poll_interval_max:g} s",
        ],
        [
            "route healed to live again",
            _spread([t.heal_to_live for t in blocks]),
            f"next socket retry (backoff up to {settings.backoff_cap:g} s)",
        ],
    ]
    print(procs.table(["step", "measured", "baseline: the settings"], rows))
    print(f"\n{time.monotonic() - began:.0f} s")
    return 0


def main() -> int:
    return asyncio.run(run())


if __name__ == "__main__":
    sys.exit(main())
