"""A hostile WebSocket client on a raw socket: it writes frames and never reads.

A well-behaved client library reads as it writes (and answers pings); this one does the
handshake, then only sends. Its receive buffer is the system's default: what the server
writes fills it, then the server's own buffers. (A tiny one, 4 KB, stalls the client's
own sending at the TCP level within a few replies: an attack that stops itself, and not
the one to test.) It tells how the server ended it: closed (reset, broken pipe, EOF) or
still open when the flood was over.
"""

from __future__ import annotations

import select
import socket
import time
from pathlib import Path

from websockets.client import ClientProtocol
from websockets.uri import parse_uri


class HostileClient:
    def __init__(self, url: str) -> None:
        uri = parse_uri(url)
        self._protocol = ClientProtocol(uri, max_size=None)
        self.sock = socket.create_connection((uri.host, uri.port), timeout=10)
        self._protocol.send_request(self._protocol.connect())
        self.sock.sendall(b"".join(self._protocol.data_to_send()))
        answer = b""
        while b"\r\n\r\n" not in answer:
            chunk = self.sock.recv(1)
            if not chunk:
                raise ConnectionError("closed during the handshake")
            answer += chunk
        assert answer.startswith(b"HTTP/1.1 101"), answer[:200]
        self._protocol.receive_data(answer)
        self._protocol.events_received()
        self.sock.setblocking(False)
        self.closed_by_server = False
        self._unsent = b""
        """What was framed but the socket did not take yet: sent before anything else,
        so a frame is never cut short by the next one."""

    def send_text(self, text: str | bytes, within: float = 10.0) -> bool:
        """Send one text frame (raw bytes allowed: they need not be UTF-8); False once the
        server has closed the connection. A frame the server does not take within
        ``within`` seconds (it stopped reading) stays queued: the caller goes on."""
        data = text.encode() if isinstance(text, str) else text
        self._protocol.send_text(data)
        return self._flush(within)

    def send_ping(self, payload: bytes = b"x" * 125, within: float = 10.0) -> bool:
        self._protocol.send_ping(payload)
        return self._flush(within)

    def _flush(self, within: float) -> bool:
        self._unsent += b"".join(self._protocol.data_to_send())
        deadline = time.monotonic() + within
        while self._unsent and not self.closed_by_server:
            try:
                sent = self.sock.send(self._unsent)
            except BlockingIOError:
                if time.monotonic() > deadline:
                    break  # the server reads no more: it stopped reading this socket
                select.select([], [self.sock], [], 0.05)
                continue
            except OSError:  # reset, broken pipe: the server dropped us
                self.closed_by_server = True
                break
            self._unsent = self._unsent[sent:]
        return not self.closed_by_server

    def flood(self, frame: str | bytes | None, *, count: int, seconds: float) -> bool:
        """Send ``frame`` (None: PING control frames) until the server closes the
        connection, ``count`` frames are sent or ``seconds`` pass; True when closed.
        A frame the server does not take is not followed by another: the flood waits
        for it until the time is up."""
        deadline = time.monotonic() + seconds
        for _ in range(count):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            alive = self.send_ping(within=left) if frame is None else self.send_text(frame, left)
            if not alive:
                break
        return self.closed_by_server

    def wait_closed(self, seconds: float) -> bool:
        """Read (at last) until the server's end of the connection: True if it came."""
        deadline = time.monotonic() + seconds
        self.sock.setblocking(True)
        self.sock.settimeout(0.5)
        while time.monotonic() < deadline:
            try:
                if not self.sock.recv(1 << 20):
                    return True
            except TimeoutError:
                continue
            except OSError:
                return True
        return False

    def close(self) -> None:
        self.sock.close()


def rss_mb(pid: int) -> float:
    """Resident memory of a process, in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")
