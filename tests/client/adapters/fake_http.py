"""A seed backend's REST side for the adapter tests: raw ASGI under uvicorn, in the
test's own event loop, so a test changes the backend's truth by plain assignment.

``restart()`` stops it and serves again on the same port (the monitor keeps its URL);
what the backend keeps across it is the subclass's choice (seeds 001 and 002 keep jobs
in memory). A bearer token, when set, is required on every request (401 otherwise).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import uvicorn

Answer = tuple[int, Any]


class _Quiet(uvicorn.Server):
    """No signal handlers: the test process's own stay in place."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


class FakeHttp:
    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.port = 0
        self.requests = 0
        self._server: _Quiet | None = None
        self._task: asyncio.Task[None] | None = None
        self._socket: socket.socket | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> Answer:
        """What the backend says to one request; subclasses speak their seed."""
        raise NotImplementedError

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        self.requests += 1
        headers = dict(scope["headers"])
        if self.token is not None and headers.get(b"authorization") != (
            f"Bearer {self.token}".encode()
        ):
            status, body = 401, {"error": {"code": "AUTH_REQUIRED", "message": "bad token"}}
        else:
            query = parse_qs(scope["query_string"].decode())
            status, body = self.answer(scope["method"], scope["path"], query)
        data = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [
                    (b"content-type", b"application/json"),
                    (b"content-length", str(len(data)).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": data})

    async def start(self) -> None:
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", self.port))
        self.port = sock.getsockname()[1]
        self._socket = sock
        config = uvicorn.Config(
            self, interface="asgi3", lifespan="off", log_level="warning", access_log=False
        )
        self._server = _Quiet(config)
        self._task = asyncio.create_task(self._server.serve(sockets=[sock]))
        while not self._server.started:
            if self._task.done():
                self._task.result()
            await asyncio.sleep(0.01)

    async def stop(self) -> None:
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await self._task
        if self._socket is not None:
            self._socket.close()
        self._server = self._task = self._socket = None

    async def restart(self) -> None:
        await self.stop()
        self.forget()
        await self.start()

    def forget(self) -> None:
        """What a restart loses (nothing, unless the subclass says)."""
