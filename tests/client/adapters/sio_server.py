"""A seed-004 service for tests: a real python-socketio server and ``GET /api/jobs/{id}``.

It runs under uvicorn in its own thread and event loop (as a real service would be
beside the monitor), on a loopback port that stays the same across ``restart()``. Its
``jobs`` are the truth a test compares the monitor's store with. Every change is sent
as seed 004's events to the rooms of the job's user and of the job itself, which the
``subscribe`` event (``{"userId": ...}`` or ``{"jobId": ...}``) joins; a connection
must carry the right token in Socket.IO's auth payload (``{"token": ...}``), the REST
side in an ``Authorization: Bearer`` header.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import socket
import threading
from collections.abc import Coroutine
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Final, TypeVar

import socketio
import uvicorn

from jobdesk.protocol.timestamps import format_timestamp
from tests.polling import eventually

HOST: Final = "127.0.0.1"
SEED_NAMES: Final = {
    "path": "socket.io",
    "namespace": "/",
    "subscribeEvent": "subscribe",
    "userKey": "userId",
    "jobKey": "jobId",
    "progressEvent": "job:progress",
    "completedEvent": "job:completed",
    "errorEvent": "job:error",
    "jobUrl": "/api/jobs/{id}",
    "authKey": "token",
}
"""The seed's names, keyed like the ``socketio`` kind's options; a test may rename any."""
T = TypeVar("T")


@dataclass
class FakeJob:
    """One job as the service keeps it (seed 002's GET shape, plus its user)."""

    id: str
    user_id: str
    status: str = "queued"
    progress: float = 0.0
    message: str = ""
    error: str | None = None
    result: Any = None
    timestamp: str = ""

    def body(self, job_key: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            job_key: self.id,
            "status": self.status,
            "message": self.message,
            "progress": self.progress,
            "timestamp": self.timestamp,
        }
        if self.error is not None:
            body["error"] = self.error
        if self.result is not None:
            body["result"] = self.result
        return body


class FakeSocketIoServer:
    def __init__(
        self,
        token: str | None = "good-token",
        ping_interval: float = 1.0,
        names: dict[str, str] | None = None,
    ) -> None:
        self.token = token
        self.names = {**SEED_NAMES, **(names or {})}
        self.ping_interval = ping_interval
        self.jobs: dict[str, FakeJob] = {}
        self.subscriptions: list[dict[str, Any]] = []
        """Every ``subscribe`` payload received, in order."""
        self.sockets_down = False
        """While True the Socket.IO endpoint answers 503 (REST still answers)."""
        self._sids: set[str] = set()
        self._last = datetime.now(UTC)
        self._sock = _bind(0)
        self.port: int = self._sock.getsockname()[1]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: uvicorn.Server | None = None
        self._sio: socketio.AsyncServer | None = None

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    # --- life --------------------------------------------------------------------------

    def start(self) -> None:
        if self._sock.fileno() == -1:  # uvicorn closes its socket when it stops
            self._sock = _bind(self.port)
        started = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(started,), daemon=True)
        self._thread.start()
        if not started.wait(20):
            raise TimeoutError("the Socket.IO test server did not start")

    def stop(self) -> None:
        if self._server is not None and self._loop is not None:
            self._loop.call_soon_threadsafe(setattr, self._server, "should_exit", True)
        if self._thread is not None:
            self._thread.join(20)
        self._server = self._thread = self._loop = self._sio = None
        self._sids.clear()

    def restart(self) -> None:
        """Stopped and started again on the same port, its jobs kept."""
        self.stop()
        self.start()

    def close(self) -> None:
        self.stop()
        self._sock.close()

    def _run(self, started: threading.Event) -> None:
        asyncio.run(self._serve(started))

    async def _serve(self, started: threading.Event) -> None:
        self._loop = asyncio.get_running_loop()
        self._sio = self._socketio()
        app = socketio.ASGIApp(
            self._sio, other_asgi_app=self._rest, socketio_path=self.names["path"]
        )
        config = uvicorn.Config(
            self._gate(app), log_level="warning", lifespan="off", timeout_graceful_shutdown=1
        )
        self._server = uvicorn.Server(config)
        serving = asyncio.create_task(self._server.serve(sockets=[self._sock]))
        server = self._server
        await eventually(lambda: server.started or serving.done(), 20)
        started.set()
        await serving

    # --- changes, from the test's thread ------------------------------------------------

    async def call(self, coro: Coroutine[Any, Any, T]) -> T:
        """Run ``coro`` on the server's loop and wait for it from the test's (stopped,
        on the test's own: the change happens, nobody hears of it)."""
        if self._loop is None:
            return await coro
        future: concurrent.futures.Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return await asyncio.wrap_future(future)

    def call_sync(self, coro: Coroutine[Any, Any, T]) -> T:
        """``call`` from a test without an event loop."""
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(20)

    async def progress(
        self, job_id: str, progress: float, message: str, user_id: str = "u1"
    ) -> None:
        """JobProgressData (a new job starts so)."""
        job = self.jobs.setdefault(job_id, FakeJob(job_id, user_id))
        job.status, job.progress, job.message, job.error = "processing", progress, message, None
        await self._send(
            self.names["progressEvent"], job, {"progress": progress, "message": message}
        )

    async def complete(self, job_id: str, result: Any) -> None:
        """JobCompletedData."""
        job = self.jobs[job_id]
        job.status, job.progress, job.result = "completed", 100.0, result
        await self._send(self.names["completedEvent"], job, {"result": result})

    async def fail(self, job_id: str, error: str) -> None:
        """JobErrorData."""
        job = self.jobs[job_id]
        job.status, job.error = "error", error
        await self._send(self.names["errorEvent"], job, {"error": error})

    async def set_sockets_down(self, down: bool) -> None:
        """The Socket.IO side fails (connected clients are dropped), REST keeps answering."""
        self.sockets_down = down
        if down and self._sio is not None:
            for sid in list(self._sids):
                await self._sio.disconnect(sid, namespace=self.names["namespace"])

    async def _send(self, event: str, job: FakeJob, fields: dict[str, Any]) -> None:
        job.timestamp = self._stamp()
        key = self.names["jobKey"]
        data = {key: job.id, "status": job.status, **fields, "timestamp": job.timestamp}
        if self._sio is not None:  # stopped: the change happens, nobody hears of it
            rooms = [f"user:{job.user_id}", f"job:{job.id}"]
            await self._sio.emit(event, data, to=rooms, namespace=self.names["namespace"])

    def _stamp(self) -> str:
        """Strictly increasing (a real clock may repeat a millisecond)."""
        self._last = max(datetime.now(UTC), self._last + timedelta(milliseconds=1))
        return format_timestamp(self._last)

    # --- the protocol ------------------------------------------------------------------

    def _socketio(self) -> socketio.AsyncServer:
        sio = socketio.AsyncServer(
            async_mode="asgi", ping_interval=self.ping_interval, ping_timeout=self.ping_interval
        )

        async def connect(sid: str, environ: dict[str, Any], auth: Any = None) -> None:
            if self.token is None:
                pass  # no auth, as the seed's own service has none
            elif not isinstance(auth, dict) or auth.get(self.names["authKey"]) != self.token:
                raise socketio.exceptions.ConnectionRefusedError("invalid token")
            self._sids.add(sid)

        async def disconnect(sid: str, *_: Any) -> None:
            self._sids.discard(sid)

        async def subscribe(sid: str, data: Any) -> None:
            self.subscriptions.append(data)
            user_key, job_key, namespace = (
                self.names["userKey"],
                self.names["jobKey"],
                self.names["namespace"],
            )
            if isinstance(data, dict) and user_key in data:
                await sio.enter_room(sid, f"user:{data[user_key]}", namespace=namespace)
            if isinstance(data, dict) and job_key in data:
                await sio.enter_room(sid, f"job:{data[job_key]}", namespace=namespace)

        namespace = self.names["namespace"]
        sio.on("connect", connect, namespace=namespace)
        sio.on("disconnect", disconnect, namespace=namespace)
        sio.on(self.names["subscribeEvent"], subscribe, namespace=namespace)
        return sio

    def _gate(self, app: socketio.ASGIApp) -> Any:
        async def gate(scope: dict[str, Any], receive: Any, send: Any) -> None:
            if self.sockets_down and scope["path"].startswith(f"/{self.names['path']}"):
                if scope["type"] == "websocket":
                    await send({"type": "websocket.close", "code": 1013})
                    return
                await _answer(send, 503, {"error": "sockets down"})
                return
            await app(scope, receive, send)

        return gate

    async def _rest(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        prefix, _, suffix = self.names["jobUrl"].partition("{id}")
        path: str = scope["path"]
        job_id = path[len(prefix) : len(path) - len(suffix)]
        if scope["type"] != "http" or not path.startswith(prefix) or not path.endswith(suffix):
            await _answer(send, 404, {"error": "no such route"})
            return
        headers = dict(scope["headers"])
        wanted = None if self.token is None else f"Bearer {self.token}".encode()
        if wanted is not None and headers.get(b"authorization") != wanted:
            await _answer(send, 401, {"error": "unauthorized"})
            return
        job = self.jobs.get(job_id)
        if job is None or not job_id or "/" in job_id:
            await _answer(send, 404, {"error": "no such job"})
            return
        await _answer(send, 200, job.body(self.names["jobKey"]))


def _bind(port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    return sock


async def _answer(send: Any, status: int, body: dict[str, Any]) -> None:
    content = json.dumps(body).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": content})
