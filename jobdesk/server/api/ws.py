"""The WebSocket at /api/notifications/ws: seed 003's messages with seq, epoch and replay.

One outbound queue per connection (``outbox.py``) carries every frame after ``auth``,
so a reply, a replay and the live events after it leave in exactly the order they were
queued: the subscriber joins the hub in the same step as its replay is placed, so
nothing falls between them and nothing is sent twice.

What a client can make the server hold is bounded: its outbox by bytes (closed with
1013 when over), the messages it sends by a rate (closed with 1008 when over), its wait
for a valid ``auth`` by a deadline, and what the transport itself does by
``ws_transport.py``. A socket is closed with 1008 when its token is revoked or a later
``auth`` fails.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

from jobdesk.core.rate import TokenBucket
from jobdesk.protocol import (
    Auth,
    AuthFailed,
    Connected,
    ErrorCode,
    ErrorMessage,
    Heartbeat,
    JobsSubscribed,
    Ping,
    Pong,
    SubscribeJobs,
    UnsubscribeJobs,
    decode_client_message,
    encode_message,
    now_timestamp,
)
from jobdesk.protocol.messages import (
    ClientMessage,
    QueueOverviewMessage,
    SubscribeMode,
    SubscribeOverview,
    UnsubscribeOverview,
)
from jobdesk.server.api.common import Service
from jobdesk.server.errors import ApiError
from jobdesk.server.outbox import Subscriber
from jobdesk.server.replay import Replay
from jobdesk.server.service import JobService
from jobdesk.server.state import ResyncRequired
from jobdesk.server.tokens import Principal

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
FAREWELL_S = 1.0
"""How long a last message (``auth_failed``, the reason for a close) may take to go out."""
_KNOWN_TYPES = frozenset(
    {
        "auth",
        "subscribe_jobs",
        "unsubscribe_jobs",
        "ping",
        "subscribe_overview",
        "unsubscribe_overview",
    }
)


class BadFrame(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _shown(value: Any) -> str:
    """A client's value in an error message, cut short: a reply must not echo 60 KB."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def parse_frame(data: str | bytes) -> ClientMessage:
    """Decode one client frame, telling an unknown type apart from a malformed one."""
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError:
        raise BadFrame(ErrorCode.INVALID_INPUT, "malformed JSON") from None
    except RecursionError:
        raise BadFrame(ErrorCode.INVALID_INPUT, "JSON nested too deeply") from None
    kind = raw.get("type") if isinstance(raw, dict) else None
    if not isinstance(kind, str) or kind not in _KNOWN_TYPES:
        raise BadFrame(ErrorCode.UNKNOWN_MESSAGE, f"unknown message type {_shown(kind)}")
    try:
        return decode_client_message(data)
    except msgspec.ValidationError as exc:
        raise BadFrame(ErrorCode.INVALID_INPUT, f"invalid {kind}: {exc}") from None
    except RecursionError:
        raise BadFrame(ErrorCode.INVALID_INPUT, f"invalid {kind}: nested too deeply") from None


def origin_allowed(origin: str | None, allowed: frozenset[str]) -> bool:
    """Native clients send no Origin; a browser's must be on the allowlist."""
    return origin is None or origin.rstrip("/") in allowed


class Connection:
    def __init__(self, socket: WebSocket[Any, Any, Any], service: JobService) -> None:
        config = service.config
        self.socket = socket
        self.service = service
        self.outbox = Subscriber(max_bytes=config.ws_max_queued_bytes)
        self.outbox.on_overflow = lambda: self.close_soon(
            TRY_AGAIN_LATER, "too far behind; reconnect with since"
        )
        self.principal: Principal | None = None
        self._messages = TokenBucket(config.ws_messages_per_s, config.ws_message_burst)
        self._closing: asyncio.Future[tuple[int, str, Any]] = (
            asyncio.get_running_loop().create_future()
        )

    def send(self, message: Any) -> None:
        self.outbox.put(encode_message(message).decode())

    def close_soon(self, code: int, reason: str, farewell: Any = None) -> None:
        """End the connection with ``code``: what is queued is dropped, ``farewell`` (a
        message) is sent first if the socket takes it within a second."""
        if not self._closing.done():
            self._closing.set_result((code, reason, farewell))

    def _within_rate(self) -> bool:
        """Each message the client sends spends a token; a client past the rate is
        closed, rather than making the server answer (and queue) without end."""
        if self._messages.take(time.monotonic()):
            return True
        rate = self.service.config.ws_messages_per_s
        self.close_soon(
            POLICY_VIOLATION,
            "too many messages",
            ErrorMessage(code=ErrorCode.INVALID_INPUT, message=f"more than {rate:g} messages/s"),
        )
        return False

    async def authenticate(self) -> Principal | None:
        """Wait for a valid auth message; ping is answered meanwhile. Replies are sent
        directly, each within what is left of the deadline, so a client that does not
        read cannot hold the wait open."""
        deadline = asyncio.get_running_loop().time() + self.service.config.auth_timeout_s
        while not self._closing.done():
            try:
                async with asyncio.timeout_at(deadline):
                    message = await self._receive_before_auth()
                    if isinstance(message, Auth):
                        try:
                            return await self.service.authenticate(message.token)
                        except ApiError:
                            self.close_soon(POLICY_VIOLATION, "auth failed", AuthFailed())
                            return None
                    if message is not None:
                        await self.send_now(message)
            except TimeoutError:
                self.close_soon(POLICY_VIOLATION, "no valid auth")
        return None

    async def _receive_before_auth(self) -> Any:
        """The next frame: an Auth, or the reply owed to anything else (None: closing)."""
        data = await self.socket.receive_data("text")
        if not self._within_rate():
            return None
        try:
            message = parse_frame(data)
        except BadFrame as exc:
            return ErrorMessage(code=exc.code, message=exc.message)
        if isinstance(message, Ping):
            return Pong()
        if isinstance(message, Auth):
            return message
        return ErrorMessage(code=ErrorCode.AUTH_REQUIRED, message="authenticate first")

    async def send_now(self, message: Any) -> None:
        await self.socket.send_data(encode_message(message).decode(), mode="text")

    def _sign_in(self, principal: Principal) -> None:
        sessions = self.service.sessions
        if self.principal is not None:
            sessions.discard(self.principal.token_hash, self)
        self.principal = principal
        sessions.add(principal.token_hash, self)

    def subscribe(self, request: SubscribeJobs) -> None:
        """Join the hub and place the replay in one step (no await): no gap, no overlap."""
        state, hub, outbox = self.service.state, self.service.hub, self.outbox
        hub.discard(outbox)
        outbox.filter = request.filter
        outbox.dialect = request.dialect
        outbox.batch = request.batch
        outbox.covered = state.seq
        mode: SubscribeMode = "live"
        if request.since is not None:
            try:
                state.check_since(request.since, request.epoch)
                mode = "replay"
            except ResyncRequired:
                mode = "snapshot"
        self.send(JobsSubscribed(mode=mode, epoch=state.epoch, seq=state.seq))
        if mode == "replay" and request.since is not None:
            outbox.queue_replay(
                Replay(
                    state,
                    request.since,
                    dialect=request.dialect,
                    wanted=request.filter,
                    batch=request.batch,
                )
            )
        hub.add(outbox)

    async def receive_forever(self) -> None:
        while True:
            data = await self.socket.receive_data("text")
            if not self._within_rate():
                return
            try:
                message = parse_frame(data)
            except BadFrame as exc:
                self.send(ErrorMessage(code=exc.code, message=exc.message))
                continue
            if isinstance(message, Ping):
                self.send(Pong())
            elif isinstance(message, SubscribeJobs):
                await self.service.caught_up(message.since)  # a replica a step behind
                self.subscribe(message)
            elif isinstance(message, UnsubscribeJobs):
                self.service.hub.discard(self.outbox)
            elif isinstance(message, SubscribeOverview):
                self.service.hub.overview_watchers.add(self.outbox)
                overview = QueueOverviewMessage(overview=self.service.queue_overview())
                self.outbox.offer_overview(encode_message(overview).decode())
            elif isinstance(message, UnsubscribeOverview):
                self.service.hub.overview_watchers.discard(self.outbox)
            elif isinstance(message, Auth):
                try:
                    self._sign_in(await self.service.authenticate(message.token))
                except ApiError:
                    # the socket must not go on as whoever it was before
                    self.close_soon(POLICY_VIOLATION, "auth failed", AuthFailed())
                    return

    async def send_forever(self) -> None:
        """Send queued frames as soon as they are queued, and a heartbeat with the current
        seq when nothing was queued for an interval (so it follows every change it counts).

        What is queued while a send is in flight goes out with the next one: merged into
        one ``job_updates`` frame for a ``batch`` subscriber (see ``hub``)."""
        interval = self.service.config.heartbeat_s
        state, outbox, socket = self.service.state, self.outbox, self.socket
        loop = asyncio.get_running_loop()
        # One timer per heartbeat, not one per wait: a timeout around every wait cost
        # more than the send it waited for.
        timer = loop.call_later(interval, outbox.beat)
        try:
            while True:
                frame = outbox.take()
                if frame is None:
                    if not outbox.beat_due:
                        await outbox.wait()
                        continue
                    outbox.beat_due = False
                    beat = Heartbeat(seq=state.seq, epoch=state.epoch, timestamp=now_timestamp())
                    frame = encode_message(beat).decode()
                    timer = loop.call_later(interval, outbox.beat)
                await socket.send_data(frame, mode="text")
        finally:
            timer.cancel()

    async def serve(self) -> None:
        principal = await self.authenticate()
        if principal is not None:
            self._sign_in(principal)
            state = self.service.state
            self.send(Connected(epoch=state.epoch, seq=state.seq))
            await self._run()
        await self._close()

    async def _run(self) -> None:
        sender = asyncio.create_task(self.send_forever())
        receiver = asyncio.create_task(self.receive_forever())
        try:
            waiting: set[asyncio.Future[Any]] = {sender, receiver, self._closing}
            await asyncio.wait(waiting, return_when="FIRST_COMPLETED")
        finally:
            self.service.hub.discard(self.outbox)
            self.service.hub.overview_watchers.discard(self.outbox)
            if self.principal is not None:
                self.service.sessions.discard(self.principal.token_hash, self)
            for task in (sender, receiver):
                task.cancel()
            for task in (sender, receiver):
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await task

    async def _close(self) -> None:
        """Close as asked (the farewell first, briefly); never waits on a peer that does
        not read (``ws_transport`` aborts such a socket instead)."""
        if not self._closing.done():
            return  # the client left
        code, reason, farewell = self._closing.result()
        with contextlib.suppress(Exception):
            if farewell is not None:
                async with asyncio.timeout(FAREWELL_S):
                    await self.send_now(farewell)
            await self.socket.close(code, reason)


@websocket("/api/notifications/ws")
async def notifications(socket: WebSocket[Any, Any, Any], service: Service) -> None:
    """Live job updates (seed 003), with seq/epoch for replay after a reconnect."""
    if not origin_allowed(socket.headers.get("origin"), service.config.allowed_origins):
        await socket.close(POLICY_VIOLATION, "origin not allowed")
        return
    await socket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        await Connection(socket, service).serve()
