"""One WebSocket session: connect, authenticate, subscribe, and feed the stream to sync.

It returns or raises when the connection ends; deciding whether and when to connect
again is the engine's business.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

import msgspec
from websockets.asyncio.client import ClientConnection, connect

from jobdesk.client.errors import AuthRejected, ProtocolBroken
from jobdesk.client.rest import RestApi
from jobdesk.client.settings import EngineSettings
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
    ServerMessage,
    decode_server_message,
    encode_message,
)

log = logging.getLogger(__name__)
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
    ) -> None:
        self._ws_url = ws_url
        self._token = token
        self._sync = sync
        self._rest = rest
        self._settings = settings
        self._on_authenticated = on_authenticated
        self._on_synced = on_synced
        self._on_stats = on_stats
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
            while True:
                message = await self._receive(ws, settings.silence_timeout)
                step = self._handle(message)
                while step is not Next.NOTHING:
                    if step is Next.SNAPSHOT:
                        step = self._sync.on_snapshot(await self._rest.snapshot())
                    else:
                        await ws.send(encode_message(self._sync.subscribe_request()).decode())
                        step = Next.NOTHING
                if self._sync.synced and not self.was_synced:
                    self.was_synced = True
                    self._on_synced()

    def _handle(self, message: ServerMessage) -> Next:
        sync = self._sync
        if isinstance(message, JobUpdate | JobRemoved):
            return sync.on_event(message)
        if isinstance(message, JobsSubscribed):
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

    @staticmethod
    async def _receive(ws: ClientConnection, within: float) -> ServerMessage:
        """The next message we understand; silence longer than ``within`` is death."""
        while True:
            try:
                async with asyncio.timeout(within):
                    data = await ws.recv()
            except TimeoutError:
                raise TimeoutError(f"no message from the server for {within:.0f} s") from None
            try:
                return decode_server_message(data)
            except msgspec.ValidationError as exc:
                log.debug("skipping a message this client does not know: %s", exc)
