"""A small synchronous WebSocket test client speaking the protocol's structs."""

from __future__ import annotations

from types import TracebackType
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from jobdesk.protocol import (
    Auth,
    ClientMessage,
    ServerMessage,
    decode_server_message,
    encode_message,
)


class WsClient:
    def __init__(self, url: str, **options: Any) -> None:
        # websockets 17 wants connect() entered as a context manager; we enter it here
        # and close the connection in close().
        self.conn: ClientConnection = connect(url, compression=None, **options).__enter__()

    def send(self, message: ClientMessage) -> None:
        self.conn.send(encode_message(message).decode())

    def send_raw(self, text: str) -> None:
        self.conn.send(text)

    def recv(self, timeout: float = 5.0) -> ServerMessage:
        data = self.conn.recv(timeout=timeout)
        return decode_server_message(data)

    def recv_until(self, kind: type[Any] | tuple[type[Any], ...], timeout: float = 5.0) -> Any:
        """Skip other messages (stats, heartbeats) until one of ``kind`` arrives."""
        while True:
            message = self.recv(timeout)
            if isinstance(message, kind):
                return message

    def close_code(self, timeout: float = 10.0) -> int | None:
        """Read until the server closes the connection; the code it closed with (None:
        no close frame came). Fails the test if the server keeps it open."""
        try:
            while True:
                self.conn.recv(timeout=timeout)
        except ConnectionClosed as closed:
            return None if closed.rcvd is None else closed.rcvd.code

    def login(self, token: str) -> ServerMessage:
        self.send(Auth(token=token))
        return self.recv()

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> WsClient:
        return self

    def __exit__(
        self, t: type[BaseException] | None, e: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
