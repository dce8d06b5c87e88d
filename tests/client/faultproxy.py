"""A TCP proxy that breaks the network on demand, for testing clients (in toxiproxy's spirit).

The client under test connects to ``127.0.0.1:{proxy.port}`` instead of the server; the
proxy forwards every byte to ``proxy.upstream`` until a test switches a fault on::

    with FaultProxy(("127.0.0.1", server_port)) as proxy:
        engine = Engine(proxy.url)
        proxy.black_hole(True)   # the server seems frozen
        ...
        proxy.heal()

Why a proxy rather than stopping the server: a real server cannot be made to stall
half-way, cut a response after n bytes, reset only WebSockets, or hold bytes and then
deliver them; and a server restarted in a test usually comes back on a different port.

The proxy runs its own event loop in a background thread, so it keeps forwarding while
the test's own loop (or thread) is blocked, and every fault switch works from any thread.
A switch returns once it has taken effect on the proxy's loop: after ``reset_all()``
returns the resets have been sent, after ``black_hole(True)`` no further byte goes through.

Faults and whom they touch (existing connections, new ones, or both):

==========================  ==========  =====  ========================================
switch                      existing    new    what the client sees
==========================  ==========  =====  ========================================
``latency(s)``              yes         yes    every chunk arrives ``s`` later, both ways
``black_hole(True)``        yes         yes    silence: nothing is forwarded, nothing closes
``cut_after(n)``            yes         yes    an RST after ``n`` more bytes downstream
``block_websocket(True)``   reset       yes    503 to the WebSocket handshake; REST flows
``refuse(True)``            no          yes    the connection is accepted and reset at once
``reset_all()``             yes         --     an RST on every open connection, once
==========================  ==========  =====  ========================================

Only loopback addresses are used, on both sides: a test must never reach another host.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import socket
import struct
import threading
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Final

LISTEN_HOST: Final = "127.0.0.1"
WEBSOCKET_PATH: Final = b"/api/notifications/ws"
CHUNK_BYTES: Final = 64 * 1024
QUEUED_CHUNKS: Final = 16
"""Chunks read ahead per direction while earlier ones wait out their latency (or a black
hole); past that the proxy stops reading and TCP flow control pushes back on the sender."""
STOP_TIMEOUT_S: Final = 30.0
CLOSE_TIMEOUT_S: Final = 1.0
"""A graceful close waits this long for the peer before the socket is dropped."""
SWITCH_TIMEOUT_S: Final = 30.0
"""This and STOP_TIMEOUT_S only bound waits for the proxy's thread: generous, so a busy
machine passes, and no slower when it is idle."""

_BLOCKED_BODY: Final = b"WebSocket blocked by the faultproxy\n"
BLOCKED_RESPONSE: Final = (
    b"HTTP/1.1 503 Service Unavailable\r\n"
    b"Content-Type: text/plain\r\n"
    b"Content-Length: %d\r\n"
    b"Connection: close\r\n"
    b"\r\n"
    b"%s"
) % (len(_BLOCKED_BODY), _BLOCKED_BODY)
"""What a path-aware reverse proxy (nginx ``location ... { return 503; }``) answers to a
WebSocket it will not pass. A firewall could only reset, but a firewall cannot see the
path, so blocking *only* the WebSocket is the reverse proxy's move; and an HTTP status on
the handshake is a different client code path from a connection error, worth testing."""


@dataclass(frozen=True)
class Faults:
    """A snapshot of the switches, for assertions and for failure messages."""

    latency: float = 0.0
    black_hole: bool = False
    cut_after: int | None = None
    block_websocket: bool = False
    refuse: bool = False


class _Cut(Exception):
    """Raised inside a connection when its ``cut_after`` budget is spent."""


class _Reset(Exception):
    """A peer reset its side; raised where the reset is passed on, after any black hole."""


def _check_loopback(host: str) -> None:
    if host == "localhost":
        return
    try:
        loopback = ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise ValueError(f"faultproxy only talks to loopback hosts, not {host!r}")


def _rst(writer: asyncio.StreamWriter) -> None:
    """Close with a TCP RST, not a FIN: SO_LINGER 0 makes close() send a reset."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):  # already closed
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _rst_socket(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def is_websocket_upgrade(head: bytes) -> bool:
    """Whether a request head (up to the blank line) opens the notifications WebSocket."""
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ")
    if len(parts) != 3 or parts[0] != b"GET":
        return False
    path = parts[1].split(b"?", 1)[0].rstrip(b"/")
    if path != WEBSOCKET_PATH:
        return False
    for line in lines[1:]:
        name, colon, value = line.partition(b":")
        if colon and name.strip().lower() == b"upgrade" and b"websocket" in value.lower():
            return True
    return False


async def _read_head(reader: asyncio.StreamReader) -> bytes:
    """The first request's head; what it returns is forwarded later, so nothing is lost.

    A head too long to peek at stays in the reader and is forwarded as plain bytes.
    """
    try:
        return await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as eof:
        return eof.partial
    except asyncio.LimitOverrunError:
        return b""


class _Link:
    """One client connection and, once connected, its upstream connection."""

    def __init__(self, task: asyncio.Task[None], cut_budget: int | None) -> None:
        self.task = task
        self.cut_budget = cut_budget
        self.client: asyncio.StreamWriter | None = None
        self.upstream: asyncio.StreamWriter | None = None
        self.websocket = False

    def reset(self) -> None:
        """RST both sides and stop forwarding; called from outside the link's own task."""
        for writer in (self.client, self.upstream):
            if writer is not None:
                _rst(writer)
        self.task.cancel()


class FaultProxy:
    """Forward ``127.0.0.1:port`` to ``upstream`` and break the link on demand.

    Use as a context manager; ``port=0`` picks a free port. Counters and switches may be
    used from any thread. One proxy runs once: start it, stop it, make a new one.
    """

    def __init__(self, upstream: tuple[str, int], *, port: int = 0) -> None:
        self.upstream = upstream
        self._requested_port = port
        self._port: int | None = None
        self._lock = threading.Lock()
        self._latency = 0.0
        self._black_hole = False
        self._cut_after: int | None = None
        self._block_websocket = False
        self._refuse = False
        self._connections = 0
        self._websocket_handshakes = 0
        # only touched on the proxy's loop:
        self._links: set[_Link] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._flowing: asyncio.Event | None = None
        self._stopping: asyncio.Event | None = None
        # lifecycle
        self._listener: socket.socket | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running = False
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    # --- addresses and counters -------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("the proxy is not started")
        return self._port

    @property
    def url(self) -> str:
        return f"http://{LISTEN_HOST}:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://{LISTEN_HOST}:{self.port}{WEBSOCKET_PATH.decode()}"

    @property
    def upstream(self) -> tuple[str, int]:
        """Where new connections go; changing it leaves existing connections where they are."""
        return self._upstream

    @upstream.setter
    def upstream(self, address: tuple[str, int]) -> None:
        host, port = address
        _check_loopback(host)
        self._upstream = (host, int(port))  # one assignment: atomic for readers

    @property
    def connections(self) -> int:
        """Client connections accepted so far, including refused and blocked ones: a
        test counting reconnect attempts wants every attempt.

        Counted when the proxy's thread accepts, which can be just after the client's
        connect() returns; once a request has been answered it is counted for sure.
        """
        return self._connections

    @property
    def websocket_handshakes(self) -> int:
        """Connections whose first request was the WebSocket upgrade, blocked ones
        included; refused connections are reset before their request is read."""
        return self._websocket_handshakes

    @property
    def open_connections(self) -> int:
        """Client connections being served now (approximate from other threads)."""
        return len(self._links)

    @property
    def faults(self) -> Faults:
        with self._lock:
            return Faults(
                latency=self._latency,
                black_hole=self._black_hole,
                cut_after=self._cut_after,
                block_websocket=self._block_websocket,
                refuse=self._refuse,
            )

    # --- fault switches ------------------------------------------------------------------

    def latency(self, seconds: float) -> None:
        """Delay each chunk by ``seconds`` in both directions; 0 turns it off.

        Each chunk waits ``seconds`` from when the proxy read it, so a stream is delayed,
        not slowed down: chunks read while earlier ones wait are not delayed twice. A
        change applies to chunks read after it, on existing connections too.
        """
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        with self._lock:
            self._latency = float(seconds)

    def black_hole(self, on: bool) -> None:
        """While on, nothing is forwarded on any connection, old or new, and nothing closes.

        Bytes (and closes, and resets) are held, not dropped, and go through in order once
        it is off: like a server under SIGSTOP, or a network partition that heals, since
        TCP retransmits rather than losing bytes. So a request that timed out in the
        client may still reach the server after ``heal()``, as it can in production.
        New connections are accepted, and connected upstream, but stay silent.
        """
        with self._lock:
            self._black_hole = on
        self._on_loop(self._sync_flowing)

    def cut_after(self, n_bytes: int | None) -> None:
        """Reset each connection once ``n_bytes`` more have gone downstream on it.

        The budget starts now for existing connections and at accept for new ones. As in
        toxiproxy's ``limit_data``, the chunk that reaches the budget is forwarded up to it
        and the connection is then reset (both sides, RST); ``0`` lets requests through and
        resets when the first answer byte comes back. ``None`` turns it off. Bytes the
        kernel has not delivered when the RST goes are lost, as on a real network.
        """
        if n_bytes is not None and n_bytes < 0:
            raise ValueError("cut_after needs a byte count >= 0, or None")
        with self._lock:
            self._cut_after = n_bytes

        def apply() -> None:
            for link in self._links:
                link.cut_budget = n_bytes

        self._on_loop(apply)

    def block_websocket(self, on: bool) -> None:
        """While on, WebSocket handshakes get a 503 (see ``BLOCKED_RESPONSE``) and open
        WebSockets are reset; REST connections are untouched.

        The decision is made on a connection's first request: HTTP keep-alive may carry
        several REST requests, but a WebSocket always has a connection of its own. The
        503 comes from the proxy itself, so it is sent even into a black hole, as a
        reverse proxy in front of a stalled server would.
        """
        with self._lock:
            self._block_websocket = on
        if on:
            self._on_loop(lambda: self._reset_links(websocket_only=True))

    def refuse(self, on: bool) -> None:
        """While on, new connections are accepted and reset at once, like a server that is
        down; open connections carry on."""
        with self._lock:
            self._refuse = on

    def reset_all(self) -> None:
        """Reset (TCP RST) every open connection, on both sides, now."""
        self._on_loop(lambda: self._reset_links(websocket_only=False))

    def heal(self) -> None:
        """Every fault off; ``upstream`` stays as it is."""
        self.latency(0)
        self.black_hole(False)
        self.cut_after(None)
        self.block_websocket(False)
        self.refuse(False)

    def _sync_flowing(self) -> None:
        assert self._flowing is not None
        if self._black_hole:
            self._flowing.clear()
        else:
            self._flowing.set()

    def _reset_links(self, *, websocket_only: bool) -> None:
        for link in list(self._links):
            if link.websocket or not websocket_only:
                link.reset()

    def _on_loop(self, effect: Callable[[], None]) -> None:
        """Run ``effect`` on the proxy's loop and wait for it; skip it if not running.

        The plain switch values are set before this, so a proxy that is not running yet
        starts with them, and the loop-side effect reads the newest value when it runs.
        """
        with self._lock:
            loop = self._loop if self._running else None
            if loop is None:
                return
            if self._thread is threading.current_thread():
                effect()
                return
            done: concurrent.futures.Future[None] = concurrent.futures.Future()

            def run() -> None:
                try:
                    effect()
                except BaseException as exc:
                    done.set_exception(exc)
                else:
                    done.set_result(None)

            # under the lock, so stop() cannot slip its shutdown in before this
            loop.call_soon_threadsafe(run)
        done.result(timeout=SWITCH_TIMEOUT_S)

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError("a FaultProxy runs once; make a new one")
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
        try:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            listener.bind((LISTEN_HOST, self._requested_port))
            listener.listen(128)
            listener.setblocking(False)
        except OSError:
            listener.close()
            raise
        self._listener = listener
        self._port = listener.getsockname()[1]
        self._thread = threading.Thread(
            target=self._run, name=f"faultproxy-{self._port}", daemon=True
        )
        self._thread.start()
        if not self._started.wait(STOP_TIMEOUT_S) or self._error is not None:
            self.stop()
            raise RuntimeError(f"faultproxy failed to start: {self._error!r}")

    def stop(self) -> None:
        """Reset every connection, end every task, close every socket, join the thread."""
        with self._lock:
            loop, stopping = self._loop, self._stopping
            if self._running and loop is not None and stopping is not None:
                self._running = False
                loop.call_soon_threadsafe(stopping.set)
        if self._thread is not None:
            self._thread.join(STOP_TIMEOUT_S)
            if self._thread.is_alive():
                raise RuntimeError(f"faultproxy thread did not stop in {STOP_TIMEOUT_S} s")
        if self._listener is not None:
            self._listener.close()
        if self._error is not None:
            raise RuntimeError("faultproxy failed") from self._error

    def __enter__(self) -> FaultProxy:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(self._main(loop))
        except BaseException as exc:  # reported by start() or stop()
            self._error = exc
        finally:
            self._started.set()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _main(self, loop: asyncio.AbstractEventLoop) -> None:
        self._flowing = asyncio.Event()
        self._stopping = asyncio.Event()
        with self._lock:
            self._sync_flowing()
            self._loop = loop
            self._running = True
        self._started.set()
        accepting = asyncio.create_task(self._accept())
        accepting.add_done_callback(self._task_done)
        try:
            await self._stopping.wait()
        finally:
            accepting.cancel()
            # Resetting a link cancels its task; a task past its link (closing) ends by
            # itself within CLOSE_TIMEOUT_S, and cancelling it could strand a socket.
            self._reset_links(websocket_only=False)
            await asyncio.gather(accepting, *self._tasks, return_exceptions=True)
            # One more turn of the loop runs the connection_lost callbacks that aborts
            # scheduled, which close the sockets.
            await asyncio.sleep(0)

    def _task_done(self, task: asyncio.Task[None]) -> None:
        """Keep an unexpected error for stop() to raise: a broken proxy must fail the test."""
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            self._error = self._error or exc

    # --- forwarding ----------------------------------------------------------------------

    async def _accept(self) -> None:
        assert self._listener is not None
        loop = asyncio.get_running_loop()
        while True:
            try:
                sock, _ = await loop.sock_accept(self._listener)
            except ConnectionAbortedError:  # the client gave up before we got to it
                continue
            self._connections += 1
            if self._refuse:
                _rst_socket(sock)
                continue
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            task = asyncio.create_task(self._serve(sock))
            self._tasks.add(task)
            task.add_done_callback(self._task_done)

    async def _serve(self, sock: socket.socket) -> None:
        task = asyncio.current_task()
        assert task is not None
        link = _Link(task, self._cut_after)
        self._links.add(link)
        clean = False
        try:
            try:
                reader, link.client = await asyncio.open_connection(sock=sock, limit=CHUNK_BYTES)
            except BaseException:
                sock.close()
                raise
            # drain() then waits until the kernel has every byte: no hidden buffer between
            # the switches and the wire, and flow control reaches the sender.
            link.client.transport.set_write_buffer_limits(high=0)
            head = await _read_head(reader)
            if is_websocket_upgrade(head):
                link.websocket = True
                self._websocket_handshakes += 1
                if self._block_websocket:
                    link.client.write(BLOCKED_RESPONSE)
                    await link.client.drain()
                    clean = True
                    return
            try:
                up_reader, link.upstream = await asyncio.open_connection(
                    *self.upstream, limit=CHUNK_BYTES
                )
            except OSError:
                # Upstream down: the client gets a reset, as from a dead server; after any
                # black hole, which holds resets too.
                assert self._flowing is not None
                await self._flowing.wait()
                return
            link.upstream.transport.set_write_buffer_limits(high=0)
            async with asyncio.TaskGroup() as group:
                group.create_task(self._pipe(link, reader, link.upstream, head, False))
                group.create_task(self._pipe(link, up_reader, link.client, b"", True))
            clean = True
        except* (_Cut, _Reset, OSError):
            pass  # a broken link is what this proxy is for; both sides get an RST below
        finally:
            self._links.discard(link)
            writers = [w for w in (link.client, link.upstream) if w is not None]
            for writer in writers:  # both at once, before any await can be cancelled
                if clean:
                    writer.close()
                else:
                    _rst(writer)
            for writer in writers:
                with contextlib.suppress(Exception):
                    async with asyncio.timeout(CLOSE_TIMEOUT_S):
                        await writer.wait_closed()
                writer.transport.abort()  # a no-op once closed; frees a stuck socket now

    async def _pipe(
        self,
        link: _Link,
        source: asyncio.StreamReader,
        sink: asyncio.StreamWriter,
        first: bytes,
        downstream: bool,
    ) -> None:
        """Forward one direction: read ahead with arrival times, write when due.

        Reading and writing are separate tasks so latency delays each chunk from its own
        arrival, and a black hole holds chunks without stopping the read-ahead at once.
        An item of ``None`` passes a reset on; ``b""`` passes a close (FIN) on.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[tuple[float, bytes | None]] = asyncio.Queue(QUEUED_CHUNKS)
        assert self._flowing is not None
        flowing = self._flowing

        async def pull() -> None:
            if first:
                await queue.put((loop.time() + self._latency, first))
            while True:
                try:
                    data: bytes | None = await source.read(CHUNK_BYTES)
                except OSError:
                    data = None
                await queue.put((loop.time() + self._latency, data))
                if not data:
                    return

        async def push() -> None:
            while True:
                due, data = await queue.get()
                if (wait := due - loop.time()) > 0:
                    await asyncio.sleep(wait)
                await flowing.wait()
                if data is None:
                    raise _Reset
                if not data:
                    if sink.can_write_eof():
                        sink.write_eof()
                    return
                budget = link.cut_budget if downstream else None
                if budget is not None:
                    data = data[:budget]
                    link.cut_budget = budget - len(data)
                if data:
                    sink.write(data)
                    await sink.drain()
                if budget is not None and link.cut_budget == 0:
                    raise _Cut

        async with asyncio.TaskGroup() as group:
            group.create_task(pull())
            group.create_task(push())
