"""The WebSocket at /api/notifications/ws: seed 003's messages with seq, epoch and replay.

One outbound queue per connection carries every frame, so a reply, a replay and the
live events after it leave in exactly the order they were queued: the replay is read
from the committed state in the same step as the subscriber joins the hub, so nothing
falls between them and nothing is sent twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

import msgspec
from litestar import WebSocket, websocket
from litestar.exceptions import WebSocketDisconnect

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
from jobdesk.protocol.messages import ClientMessage, SubscribeMode
from jobdesk.server.api.common import Service
from jobdesk.server.changes import Change
from jobdesk.server.errors import ApiError
from jobdesk.server.hub import Empty, Subscriber, encode_change
from jobdesk.server.service import JobService
from jobdesk.server.state import ResyncRequired, matches
from jobdesk.server.tokens import Principal

POLICY_VIOLATION = 1008
TRY_AGAIN_LATER = 1013
_KNOWN_TYPES = frozenset({"auth", "subscribe_jobs", "unsubscribe_jobs", "ping"})


class BadFrame(Exception):
    def __init__(self, code: ErrorCode, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def parse_frame(data: str | bytes) -> ClientMessage:
    """Decode one client frame, telling an unknown type apart from a malformed one."""
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError:
        raise BadFrame(ErrorCode.INVALID_INPUT, "malformed JSON") from None
    if not isinstance(raw, dict) or raw.get("type") not in _KNOWN_TYPES:
        kind = raw.get("type") if isinstance(raw, dict) else None
        raise BadFrame(ErrorCode.UNKNOWN_MESSAGE, f"unknown message type {kind!r}")
    try:
        return decode_client_message(data)
    except msgspec.ValidationError as exc:
        raise BadFrame(ErrorCode.INVALID_INPUT, f"invalid {raw['type']}: {exc}") from None


def origin_allowed(origin: str | None, allowed: frozenset[str]) -> bool:
    """Native clients send no Origin; a browser's must be on the allowlist."""
    return origin is None or origin.rstrip("/") in allowed


class Connection:
    def __init__(self, socket: WebSocket[Any, Any, Any], service: JobService) -> None:
        self.socket = socket
        self.service = service
        self.outbox = Subscriber()

    def send(self, message: Any) -> None:
        self.outbox.put(encode_message(message).decode())

    async def authenticate(self) -> Principal | None:
        """Wait for a valid auth message; ping is answered meanwhile."""
        deadline = time.monotonic() + self.service.config.auth_timeout_s
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return None
            try:
                data = await asyncio.wait_for(self.socket.receive_data("text"), remaining)
            except TimeoutError:
                return None
            try:
                message = parse_frame(data)
            except BadFrame as exc:
                await self.send_now(ErrorMessage(code=exc.code, message=exc.message))
                continue
            if isinstance(message, Ping):
                await self.send_now(Pong())
            elif isinstance(message, Auth):
                try:
                    return await self.service.authenticate(message.token)
                except ApiError:
                    await self.send_now(AuthFailed())
                    return None
            else:
                await self.send_now(
                    ErrorMessage(code=ErrorCode.AUTH_REQUIRED, message="authenticate first")
                )

    async def send_now(self, message: Any) -> None:
        await self.socket.send_data(encode_message(message).decode(), mode="text")

    def subscribe(self, request: SubscribeJobs) -> None:
        """Join the hub and queue the replay in one step (no await): no gap, no overlap."""
        service, state = self.service, self.service.state
        hub, outbox = service.hub, self.outbox
        hub.discard(outbox)
        outbox.filter = request.filter
        outbox.dialect = request.dialect
        outbox.batch = request.batch
        outbox.covered = state.seq
        mode: SubscribeMode = "live"
        replay: list[Change] = []
        if request.since is not None:
            try:
                state.check_since(request.since, request.epoch)
                mode = "replay"
                replay = list(state.changes_since(request.since))
            except ResyncRequired:
                mode = "snapshot"
        self.send(JobsSubscribed(mode=mode, epoch=state.epoch, seq=state.seq))
        if request.batch:
            if mode == "replay" and request.since is not None and request.since < state.seq:
                outbox.queue_replay_segments(
                    hub.replay_segments(replay, outbox, request.since, state.seq)
                )
        else:
            timestamp = now_timestamp()
            outbox.queue_replay(
                [
                    encode_change(change, state.epoch, request.dialect, timestamp).decode()
                    for change in replay
                    if change.job is None or matches(change.job, request.filter)
                ]
            )
        hub.add(outbox)

    async def receive_forever(self) -> None:
        while True:
            data = await self.socket.receive_data("text")
            try:
                message = parse_frame(data)
            except BadFrame as exc:
                self.send(ErrorMessage(code=exc.code, message=exc.message))
                continue
            if isinstance(message, Ping):
                self.send(Pong())
            elif isinstance(message, SubscribeJobs):
                self.subscribe(message)
            elif isinstance(message, UnsubscribeJobs):
                self.service.hub.discard(self.outbox)
            elif isinstance(message, Auth):
                try:
                    await self.service.authenticate(message.token)
                except ApiError:
                    self.send(AuthFailed())

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
                if isinstance(frame, Empty):
                    if not outbox.beat_due:
                        await outbox.wait()
                        continue
                    outbox.beat_due = False
                    beat = Heartbeat(seq=state.seq, epoch=state.epoch, timestamp=now_timestamp())
                    frame = encode_message(beat).decode()
                    timer = loop.call_later(interval, outbox.beat)
                if frame is None:
                    await socket.close(TRY_AGAIN_LATER, "too far behind; reconnect with since")
                    return
                await socket.send_data(frame, mode="text")
        finally:
            timer.cancel()

    async def serve(self) -> None:
        principal = await self.authenticate()
        if principal is None:
            await self.socket.close(POLICY_VIOLATION, "no valid auth")
            return
        state = self.service.state
        await self.send_now(Connected(epoch=state.epoch, seq=state.seq))
        sender = asyncio.create_task(self.send_forever())
        receiver = asyncio.create_task(self.receive_forever())
        try:
            await asyncio.wait({sender, receiver}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.service.hub.discard(self.outbox)
            for task in (sender, receiver):
                task.cancel()
            for task in (sender, receiver):
                with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
                    await task


@websocket("/api/notifications/ws")
async def notifications(socket: WebSocket[Any, Any, Any], service: Service) -> None:
    """Live job updates (seed 003), with seq/epoch for replay after a reconnect."""
    if not origin_allowed(socket.headers.get("origin"), service.config.allowed_origins):
        await socket.close(POLICY_VIOLATION, "origin not allowed")
        return
    await socket.accept()
    with contextlib.suppress(WebSocketDisconnect):
        await Connection(socket, service).serve()
