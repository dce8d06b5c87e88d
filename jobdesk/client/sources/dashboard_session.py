"""One connection to a JobDashboard WebSocket (seed 003): auth, subscribe, fetch, follow.

Seed 003 has no replay: what changed while the socket was down is only in the list. So
every connection subscribes FIRST, waits for ``jobs_subscribed`` (from then on no
change is missed), then reads the list, and only then follows the pushes; the ones that
arrived during the read wait in the socket's buffer and are applied after the list,
each dropped when the list already had a newer state of its job.

The backend's tokens live 15 minutes: ``auth_failed`` (at auth, or later, when the
backend re-checks) ends the session with ``AuthRejected``, once; the engine then waits
for a new token instead of reconnecting with the old one. Its heartbeat is every 30 s;
this side also sends ``ping`` whenever it heard nothing for ``probe_interval``, so
silence past ``silence_timeout`` means a backend that does not answer: the session
ends and the engine reconnects (polling the list meanwhile).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any

import msgspec
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from jobdesk.client.errors import AuthRejected
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import SessionHooks
from jobdesk.client.sources.admin_list import AdminJobs
from jobdesk.client.sources.dashboard_mapping import pushed_entry, stats_of
from jobdesk.core.store import JobStore

log = logging.getLogger(__name__)
MAX_FRAME_BYTES = 64 * 1024 * 1024
"""A job with a long log makes a large job_update."""
_PING = msgspec.json.encode({"type": "ping"}).decode()
_PONG = msgspec.json.encode({"type": "pong"}).decode()


class DashboardSession:
    def __init__(
        self,
        *,
        ws_url: str,
        token: str,
        jobs: AdminJobs,
        store: JobStore,
        server: str,
        hooks: SessionHooks,
        settings: EngineSettings,
        wall: Callable[[], float],
        progress_scale: float,
    ) -> None:
        self._ws_url = ws_url
        self._token = token
        self._jobs = jobs
        self._store = store
        self._server = server
        self._hooks = hooks
        self._settings = settings
        self._wall = wall
        self._scale = progress_scale
        self._last_heard = 0.0
        self.authenticated_at: float | None = None
        """Loop time of the backend's ``connected``; None if auth never completed."""
        self.was_synced = False

    async def run(self) -> None:
        s = self._settings
        async with connect(
            self._ws_url,
            open_timeout=s.open_timeout,
            ping_interval=s.ping_interval,
            ping_timeout=s.ping_timeout,
            close_timeout=2.0,
            compression=None,
            max_size=MAX_FRAME_BYTES,
        ) as ws:
            await ws.send(msgspec.json.encode({"type": "auth", "token": self._token}).decode())
            await self._until(ws, "connected")
            self.authenticated_at = asyncio.get_running_loop().time()
            await self._hooks.on_authenticated()
            await ws.send(msgspec.json.encode({"type": "subscribe_jobs"}).decode())
            await self._until(ws, "jobs_subscribed")
            await self._jobs.replace_from_list(self._store, self._server, self._wall())
            self._hooks.on_heard()
            self.was_synced = True
            self._hooks.on_synced()
            prober = asyncio.create_task(self._probe(ws), name="dashboard probe")
            try:
                while True:
                    await self._handle(ws, await self._next(ws, s.silence_timeout))
            finally:
                prober.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await prober

    async def _until(self, ws: ClientConnection, wanted: str) -> None:
        """Handle messages until one of type ``wanted`` (within ``open_timeout`` each)."""
        while True:
            message = await self._next(ws, self._settings.open_timeout)
            if message.get("type") == wanted:
                return
            await self._handle(ws, message)

    async def _next(self, ws: ClientConnection, within: float) -> dict[str, Any]:
        """The next JSON object the backend sends; silence longer than ``within`` is
        death (``TimeoutError``)."""
        while True:
            try:
                async with asyncio.timeout(within):
                    data = await ws.recv()
            except TimeoutError:
                raise TimeoutError(f"no message from the server for {within:.0f} s") from None
            self._last_heard = asyncio.get_running_loop().time()
            self._hooks.on_heard()
            try:
                message = msgspec.json.decode(data)
            except msgspec.DecodeError:
                log.debug("skipping a frame that is not JSON")
                continue
            if isinstance(message, dict):
                return message

    async def _handle(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        kind = message.get("type")
        if kind == "job_update":
            entry, dated = pushed_entry(message, self._scale, self._jobs.seen.now())
            self._jobs.push(self._store, self._server, entry, self._wall(), dated=dated)
        elif kind == "job_removed" and message.get("jobId"):  # jobdesk's addition
            self._jobs.remove(self._store, self._server, str(message["jobId"]))
        elif kind == "job_stats_update":
            if (stats := stats_of(message.get("stats"))) is not None:
                self._hooks.on_stats(stats)
        elif kind == "auth_failed":
            raise AuthRejected(str(message.get("message") or "the server refused the token"))
        elif kind == "ping":
            await ws.send(_PONG)
        elif kind == "error":
            log.warning("server error message: %s", message.get("message"))

    async def _probe(self, ws: ClientConnection) -> None:
        """``ping`` whenever nothing was heard for ``probe_interval``: an idle backend
        answers ``pong``, a hung one does not, and the silence then tells them apart."""
        interval = self._settings.probe_interval
        loop = asyncio.get_running_loop()
        while True:
            await asyncio.sleep(interval)
            if loop.time() - self._last_heard >= interval:
                with contextlib.suppress(ConnectionClosed):
                    await ws.send(_PING)
