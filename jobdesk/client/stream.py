"""One WebSocket session: connect, authenticate, subscribe, and feed the stream to sync.

It returns or raises when the connection ends; deciding whether and when to connect
again is the engine's business.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import Awaitable, Callable, Iterator

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from jobdesk.client.errors import AuthRejected, ProtocolBroken
from jobdesk.client.rest import RestApi
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import Subscribed
from jobdesk.client.sync import Next, StreamSync
from jobdesk.protocol import (
    Auth,
    AuthFailed,
    Connected,
    ErrorMessage,
    Heartbeat,
    JobRemoved,
    JobsSubscribed,
    JobStats,
    JobStatsUpdate,
    JobUpdate,
    JobUpdates,
    MonitorMessage,
    Ping,
    decode_monitor_message,
    encode_message,
)

log = logging.getLogger(__name__)
_PING = encode_message(Ping()).decode()
MAX_FRAME_BYTES = 64 * 1024 * 1024
"""A job with a long log makes a large job_update; the server's 64 KiB limit is inbound."""


class StreamSession:
    def __init__(
        self,
        *,
        ws_url: str,
        token: str,
        sync: StreamSync,
        rest: RestApi,
        settings: EngineSettings,
        on_authenticated: Callable[[], Awaitable[None]],
        on_synced: Callable[[], None],
        on_stats: Callable[[JobStats], None],
        on_heard: Callable[[], None],
        on_subscribed: Callable[[Subscribed], None] | None = None,
        url: str = "",
    ) -> None:
        """``url``: the server as the profile names it, for ``on_subscribed`` (default:
        ``ws_url``)."""
        self._ws_url = ws_url
        self._url = url or ws_url
        self._on_subscribed = on_subscribed
        self._token = token
        self._sync = sync
        self._rest = rest
        self._settings = settings
        self._on_authenticated = on_authenticated
        self._on_synced = on_synced
        self._on_stats = on_stats
        self._on_heard = on_heard
        """Called whenever the server says anything: the engine's measure of silence."""
        self._last_heard = 0.0
        self.authenticated_at: float | None = None
        """Loop time of the server's ``connected``; None if auth never completed."""
        self.was_synced = False

    async def run(self) -> None:
        settings = self._settings
        async with connect(
            self._ws_url,
            open_timeout=settings.open_timeout,
            ping_interval=settings.ping_interval,
            ping_timeout=settings.ping_timeout,
            close_timeout=2.0,
            compression=None,
            max_size=MAX_FRAME_BYTES,
        ) as ws:
            await ws.send(encode_message(Auth(token=self._token)).decode())
            answer = await self._receive(ws, settings.open_timeout)
            if isinstance(answer, AuthFailed):
                raise AuthRejected(answer.message)
            if not isinstance(answer, Connected):
                raise ProtocolBroken(f"expected 'connected', got {type(answer).__name__}")
            self.authenticated_at = asyncio.get_running_loop().time()
            await self._on_authenticated()
            await ws.send(encode_message(self._sync.subscribe_request()).decode())
            prober = asyncio.create_task(self._probe(ws), name="probe")
            try:
                await self._stream(ws)
            finally:
                prober.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await prober

    async def _probe(self, ws: ClientConnection) -> None:
        """Ping the server whenever nothing was heard for ``probe_interval``: an idle
        server answers, a hung one does not, and the silence then tells them apart."""
        interval = self._settings.probe_interval
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            if loop.time() - self._last_heard >= interval:
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(_PING)

    async def _stream(self, ws: ClientConnection) -> None:
        """Handle messages until the connection ends; silence longer than the silence
        timeout is death.

        The deadline is one timer for the whole stream, moved on only once it is less than
        the silence timeout away (so silence is noticed after 1 to 1.25 times it): a
        timer per message cost more than decoding the message."""
        window = self._settings.silence_timeout
        loop = asyncio.get_running_loop()
        try:
            async with asyncio.timeout(None) as silence:
                while True:
                    now = loop.time()
                    deadline = silence.when()
                    if deadline is None or deadline - now < window:
                        silence.reschedule(now + window * 1.25)
                    data = await ws.recv()
                    self._heard()
                    with _collector_paused():
                        try:
                            message = decode_monitor_message(data)
                        except msgspec.ValidationError as exc:
                            log.debug("skipping a message this client does not know: %s", exc)
                            continue
                        step = self._handle(message)
                        del message
                    while step is not Next.NOTHING:
                        if step is Next.SNAPSHOT:
                            step = self._sync.on_snapshot(await self._rest.snapshot())
                        else:
                            await ws.send(encode_message(self._sync.subscribe_request()).decode())
                            step = Next.NOTHING
                    if self._sync.synced and not self.was_synced:
                        self.was_synced = True
                        self._on_synced()
        except TimeoutError:
            raise TimeoutError(f"no message from the server for {window:.0f} s") from None

    def _handle(self, message: MonitorMessage) -> Next:
        sync = self._sync
        if isinstance(message, JobUpdates):
            return sync.on_batch(message)
        if isinstance(message, JobUpdate | JobRemoved):
            return sync.on_event(message)
        if isinstance(message, JobsSubscribed):
            if self._on_subscribed is not None:
                self._on_subscribed(
                    Subscribed(
                        self._url, message.mode, sync.asked_since, message.epoch, sync.known_epoch
                    )
                )
            return sync.on_subscribed(message)
        if isinstance(message, Heartbeat):
            return sync.on_heartbeat(message)
        if isinstance(message, AuthFailed):
            raise AuthRejected(message.message)
        if isinstance(message, JobStatsUpdate):
            self._on_stats(message.stats)
        elif isinstance(message, ErrorMessage):
            log.warning("server error message: %s %s", message.code, message.message)
        sync.on_alive()
        return Next.NOTHING

    def _heard(self) -> None:
        self._last_heard = asyncio.get_running_loop().time()
        self._on_heard()

    async def _receive(self, ws: ClientConnection, within: float) -> MonitorMessage:
        """The next message we understand; silence longer than ``within`` is death."""
        while True:
            try:
                async with asyncio.timeout(within):
                    data = await ws.recv()
            except TimeoutError:
                raise TimeoutError(f"no message from the server for {within:.0f} s") from None
            self._heard()
            try:
                return decode_monitor_message(data)
            except msgspec.ValidationError as exc:
                log.debug("skipping a message this client does not know: %s", exc)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """No garbage collection while a message is decoded and applied (it never awaits).

    A ``job_updates`` frame of a thousand jobs makes three lists per job, which live
    only until the store swaps in the lists it already holds (see ``sync``). Collections
    started in the middle promoted them all to the oldest generation, whose collections
    then walked every stored job: a sixth of a monitor's time at 20,000 updates/s. The
    collector runs as usual between messages, with those lists already gone.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
