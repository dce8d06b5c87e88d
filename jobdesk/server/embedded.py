"""A server running in a background thread of another program: the demo and the tests."""

from __future__ import annotations

import asyncio
import threading
import time
from types import TracebackType

import uvicorn

from jobdesk.server.app import JobdeskServer, bind_socket, create_app, uvicorn_config
from jobdesk.server.config import ServerConfig
from jobdesk.server.service import JobService


class EmbeddedServer:
    """Start with ``with EmbeddedServer(config) as server:``; ``server.url`` is then live."""

    def __init__(self, config: ServerConfig) -> None:
        self.config = config
        self._socket = bind_socket(config.host, config.port)
        self.port: int = self._socket.getsockname()[1]
        self.host = config.host
        self.service: JobService | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def ws_url(self) -> str:
        return self.url.replace("http://", "ws://", 1) + "/api/notifications/ws"

    def start(self, timeout_s: float = 20.0) -> None:
        try:
            self.service = JobService(self.config)
            app = create_app(self.config, self.service)
        except BaseException:
            self._socket.close()
            raise
        self._server = JobdeskServer(uvicorn_config(app, self.config), self.service)
        self._thread = threading.Thread(target=self._run, name="jobdesk-server", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                self.stop()
                raise RuntimeError(f"embedded server failed to start: {self._error!r}")
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("embedded server did not start in time")
            time.sleep(0.01)

    def _run(self) -> None:
        assert self._server is not None
        try:
            asyncio.run(self._server.serve(sockets=[self._socket]))
        except BaseException as exc:  # reported to the starting thread
            self._error = exc

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=15)
        if self.service is not None and not (self._thread and self._thread.is_alive()):
            # the shutdown closed it already, unless the server never got that far:
            # the database's lock must not outlive the server either way
            self.service.storage.close()
        self._socket.close()

    def __enter__(self) -> EmbeddedServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
