"""A small reconnecting watcher: WebSocket stream plus REST snapshot into a JobStore.

The steps per connection follow the wire contract: ``auth`` with the token (never in
the URL), ``subscribe_jobs`` (with ``since``/``epoch`` once the store holds a state, so
a reconnect replays only what was missed), and when the server answers with any mode
but ``replay``, one ``GET /api/jobs`` snapshot; events read after it are applied by seq
and version, so nothing is applied twice or out of order.

Reconnecting is deliberately simple (a short backoff with a cap, forever); a later,
fuller client engine replaces this one. A refused token is not retried: it will not
become valid by waiting, so it ends ``run`` with ``AuthRejected``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from enum import StrEnum
from typing import Final, Protocol, get_args

import httpx
import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import WebSocketException

from jobdesk.client.endpoints import Endpoints, endpoints
from jobdesk.client.store import Change, JobStore
from jobdesk.protocol import (
    Auth,
    AuthFailed,
    Connected,
    ErrorMessage,
    JobRemoved,
    JobsSubscribed,
    JobUpdate,
    ServerMessage,
    SubscribeJobs,
    decode_server_message,
    encode_message,
)
from jobdesk.protocol.rest import Snapshot

BACKOFF: Final = (0.5, 1.0, 2.0, 5.0)
"""Seconds to wait before each reconnect attempt; the last value repeats."""
MAX_FRAME: Final = 32 * 1024 * 1024
"""A job with a long log makes a large job_update; the server's 64 KiB limit is inbound."""

_snapshot_decoder = msgspec.json.Decoder(Snapshot)
_KNOWN_TYPES: Final = frozenset(cls.__struct_config__.tag for cls in get_args(ServerMessage))


class WatchState(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    """Subscribed, and the store equals the server's state."""
    DISCONNECTED = "disconnected"


class AuthRejected(Exception):
    """The server refused the token (WebSocket ``auth_failed`` or HTTP 401/403)."""


class ProtocolBroken(Exception):
    """The server said something the protocol does not allow at that point."""


class WatchListener(Protocol):
    """What a view implements to hear from the watcher (called on its event loop)."""

    def connection(self, state: WatchState, detail: str) -> None: ...

    def changed(self, store: JobStore, changes: Sequence[Change]) -> None: ...


class Watcher:
    """Watch one server until cancelled; ``store`` always holds the last known state."""

    def __init__(
        self,
        url: str,
        token: str,
        listener: WatchListener,
        *,
        backoff: Sequence[float] = BACKOFF,
        timeout: float = 10.0,
    ) -> None:
        if not backoff:
            raise ValueError("backoff needs at least one delay")
        self.endpoints: Endpoints = endpoints(url)
        self.store = JobStore()
        self._token = token
        self._listener = listener
        self._backoff = tuple(backoff)
        self._timeout = timeout
        self._live = False

    async def run(self) -> None:
        """Connect, follow, reconnect; returns never, raises AuthRejected."""
        failures = 0
        async with httpx.AsyncClient(
            timeout=self._timeout,
            headers={"Authorization": f"Bearer {self._token}", "User-Agent": "jobdesk-watch"},
        ) as http:
            while True:
                self._live = False
                self._listener.connection(WatchState.CONNECTING, self.endpoints.ws_url)
                try:
                    await self._session(http)
                    detail = "the server closed the connection"
                except (OSError, TimeoutError, WebSocketException, httpx.HTTPError) as exc:
                    detail = _describe(exc)
                except ProtocolBroken as exc:
                    detail = f"protocol error: {exc}"
                failures = 0 if self._live else failures + 1
                delay = self._backoff[min(failures, len(self._backoff) - 1)]
                self._listener.connection(
                    WatchState.DISCONNECTED, f"{detail}; reconnecting in {delay:g} s"
                )
                await asyncio.sleep(delay)

    async def _session(self, http: httpx.AsyncClient) -> None:
        async with connect(
            self.endpoints.ws_url,
            compression=None,
            max_size=MAX_FRAME,
            open_timeout=self._timeout,
            user_agent_header="jobdesk-watch",
        ) as ws:
            await ws.send(encode_message(Auth(token=self._token)).decode())
            async with asyncio.timeout(self._timeout):
                hello = await _receive(ws)
            if isinstance(hello, AuthFailed):
                raise AuthRejected(hello.message)
            if not isinstance(hello, Connected):
                raise ProtocolBroken(f"expected 'connected', got {type(hello).__name__}")
            store = self.store
            resume = store.loaded and store.epoch == hello.epoch
            await ws.send(
                encode_message(
                    SubscribeJobs(since=store.seq, epoch=store.epoch) if resume else SubscribeJobs()
                ).decode()
            )
            while True:
                message = await _receive(ws)
                if isinstance(message, JobsSubscribed):
                    if message.mode != "replay" or not store.loaded:
                        snapshot = await self._snapshot(http)
                        self._listener.changed(store, store.load(snapshot))
                    self._live = True
                    self._listener.connection(WatchState.LIVE, self.endpoints.base_url)
                elif isinstance(message, JobUpdate | JobRemoved):
                    change = store.apply(message)
                    if change is not None:
                        self._listener.changed(store, [change])
                elif isinstance(message, AuthFailed):
                    raise AuthRejected(message.message)
                elif isinstance(message, ErrorMessage):
                    raise ProtocolBroken(f"{message.code}: {message.message}")

    async def _snapshot(self, http: httpx.AsyncClient) -> Snapshot:
        response = await http.get(self.endpoints.snapshot_url)
        if response.status_code in (401, 403):
            raise AuthRejected(f"GET /api/jobs answered {response.status_code}")
        response.raise_for_status()
        try:
            return _snapshot_decoder.decode(response.content)
        except msgspec.DecodeError as exc:
            raise ProtocolBroken(f"bad snapshot: {exc}") from None


async def _receive(ws: ClientConnection) -> ServerMessage:
    """The next message this watcher understands.

    Frames of a type it does not know are skipped, so a newer server's additions do not
    break an older watcher; a known message that does not parse is a broken protocol.
    """
    while True:
        data = await ws.recv()
        try:
            return decode_server_message(data)
        except msgspec.DecodeError as exc:
            kind = _frame_type(data)
            if kind is not None and kind not in _KNOWN_TYPES:
                continue
            raise ProtocolBroken(f"bad {kind or 'frame'}: {exc}") from None


def _frame_type(data: str | bytes) -> str | None:
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError:
        return None
    kind = raw.get("type") if isinstance(raw, dict) else None
    return kind if isinstance(kind, str) else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, TimeoutError):
        return "timed out"
    return str(exc) or type(exc).__name__
