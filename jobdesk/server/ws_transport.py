"""uvicorn's sans-I/O WebSocket protocol, with the defences only the transport can add.

What a client sends is read by uvicorn before the application sees it, and some of it is
answered there too: a PING control frame gets its PONG written straight to the socket,
whether or not the client reads. A client that sends pings and never reads made the
server buffer every pong (+230 MB in 20 s, measured), and since closing waits for the
socket to drain, even the 5 s auth timeout could not get rid of it. This subclass:

- stops reading while its writes are backed up: a peer that does not read cannot make
  the server write (pongs, replies) without end; its frames wait in its own kernel
  buffers instead of the server's memory;
- drops the connection when its writes stayed backed up for ``stall_timeout_s``: a peer
  that reads nothing while frames wait holds no server memory or task for longer;
- limits PING frames to a rate (a token bucket): a client that floods pings and reads
  the pongs is closed with 1008 instead of costing the server a core;
- closes without waiting on the peer: the close frame is written, reading stops, and a
  second later the connection ends, aborted if the peer has not taken the frame;
- logs one line, not a traceback, for a text frame that is not UTF-8 (closed with 1007).

It relies on attributes of uvicorn's ``WebSocketsSansIOProtocol`` (the version is locked
in uv.lock); tests/server/test_ws_defences.py checks each behaviour against a raw socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import struct
from dataclasses import dataclass
from typing import Any

from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol

from jobdesk.core.rate import TokenBucket

log = logging.getLogger("jobdesk.server.ws")

POLICY_VIOLATION = 1008
INVALID_PAYLOAD = 1007
FAIL_GRACE_S = 1.0
"""How long a peer closed for misbehaving has to take the close frame before the
connection is dropped."""


@dataclass(frozen=True)
class TransportLimits:
    stall_timeout_s: float = 30.0
    """A socket whose writes stay backed up this long is dropped."""
    pings_per_s: float = 10.0
    ping_burst: int = 50
    """PING control frames allowed: ``ping_burst`` at once, then ``pings_per_s``."""


def guarded_protocol(limits: TransportLimits) -> type[asyncio.Protocol]:
    """The protocol class uvicorn is given (``ws=``), carrying ``limits``."""
    return type("GuardedWebSocketProtocol", (GuardedWebSocketProtocol,), {"limits": limits})


class GuardedWebSocketProtocol(WebSocketsSansIOProtocol):
    limits = TransportLimits()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._backed_up = False
        self._deaf = False
        """Reading stopped for good: the peer was closed for misbehaving."""
        self._stall_timer: asyncio.TimerHandle | None = None
        self._pings = TokenBucket(self.limits.pings_per_s, self.limits.ping_burst)

    # --- reading only while writes drain ----------------------------------------------

    def pause_writing(self) -> None:
        super().pause_writing()
        self._backed_up = True
        if not self.disconnected:
            self.transport.pause_reading()
        if self._stall_timer is None:
            self._stall_timer = self.loop.call_later(self.limits.stall_timeout_s, self._stalled)

    def resume_writing(self) -> None:
        super().resume_writing()
        self._backed_up = False
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        # uvicorn pauses reading too while the application has not taken a message
        if not self.read_paused and not self.disconnected and not self._deaf:
            self.transport.resume_reading()

    async def receive(self) -> Any:
        message = await self.queue.get()
        if self.read_paused and self.queue.empty():
            self.read_paused = False
            if not self._backed_up and not self.disconnected and not self._deaf:
                self.transport.resume_reading()
        return message

    def _stalled(self) -> None:
        self._stall_timer = None
        log.info("%s: dropped: read nothing for %g s", self._peer(), self.limits.stall_timeout_s)
        self._abort()

    def connection_lost(self, exc: Exception | None) -> None:
        if self._stall_timer is not None:
            self._stall_timer.cancel()
            self._stall_timer = None
        super().connection_lost(exc)

    # --- frames uvicorn answers itself ------------------------------------------------

    def handle_ping(self) -> None:
        if self.close_sent:
            return  # closing: what the peer still sends is not answered
        if not self._pings.take(self.loop.time()):
            log.info("%s: closed: more than %g pings/s", self._peer(), self.limits.pings_per_s)
            self._fail(POLICY_VIOLATION, "too many pings")
            return
        super().handle_ping()

    def send_receive_event_to_app(self) -> None:
        if self.curr_msg_data_type == "text" and not self.close_sent:
            try:
                b"".join(self.frames).decode()
            except UnicodeDecodeError:
                self.frames = []
                log.info("%s: closed: a text frame is not UTF-8", self._peer())
                self._fail(INVALID_PAYLOAD, "invalid UTF-8")
                return
        super().send_receive_event_to_app()

    # --- closing without waiting for the peer -----------------------------------------

    async def send(self, message: Any) -> None:
        """The application closes a socket only to end it (a client that misbehaved, was
        revoked or fell behind): the close frame is written and reading stops, and the
        connection ends a second later, aborted if the peer has not taken the frame.
        uvicorn's own close waits for the socket to drain and reads on for 10 s, which
        for a flooding peer meant 10 s more of flood."""
        if (
            message["type"] == "websocket.close"
            and self.handshake_complete
            and self.initial_response is None
        ):
            self._fail(message.get("code", 1000), message.get("reason") or "")
            return
        await super().send(message)

    def _fail(self, code: int, reason: str) -> None:
        """Close now from the transport side, telling the application it is over. Nothing
        more is read from such a peer: its close reply is not waited for long."""
        if self.close_sent or self.disconnected:
            return
        self.queue.put_nowait({"type": "websocket.disconnect", "code": code, "reason": reason})
        self.conn.send_close(code, reason)
        self.transport.write(b"".join(self.conn.data_to_send()))
        self.close_sent = True
        self._deaf = True
        self.transport.pause_reading()
        if self._backed_up:
            self._abort()
        else:
            self.close_timer = self.loop.call_later(FAIL_GRACE_S, self._end)

    def _end(self) -> None:
        """Close, or abort when the socket still holds unsent bytes: closing waits for
        them to drain, which for a peer that does not read is never."""
        if self.transport.get_write_buffer_size():
            self._abort()
        else:
            self.transport.close()

    def shutdown(self) -> None:
        if self._backed_up:
            self._abort()
        else:
            super().shutdown()

    def _abort(self) -> None:
        """Drop the connection with a reset: what is still buffered for the peer, in
        this process and in the kernel (megabytes for a peer that stopped reading),
        is discarded rather than trickled out to it after the close."""
        self.close_sent = True
        sock = self.transport.get_extra_info("socket")
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.transport.abort()

    def _peer(self) -> str:
        return f"{self.client[0]}:{self.client[1]}" if self.client else "websocket"
