"""Seed 004's backend: a Socket.IO service that pushes job events, with REST for one job.

What the seed gives, and so all this adapter can do: a Socket.IO connection (WebSocket
transport only, as the seed configures its client), a ``subscribe`` by user id or by
job id, the events ``job:progress`` / ``job:completed`` / ``job:error``, and
``GET /api/jobs/{id}``, which the seed's hook polls every 3 s while the socket is down.
There is no list and no replay: a job becomes known by an event about it (or by being
named in the ``jobIds`` option), and on every (re)connect the adapter subscribes first,
then fetches each job it tracks that is not finished, so nothing falls in the gap.

python-socketio's own reconnection is off: the engine owns the backoff, and polls (this
source's ``poll``: the tracked unfinished jobs, one request each) while the socket is down.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import time
from collections.abc import Callable, Mapping
from typing import Any, Final
from urllib.parse import quote

import aiohttp
import engineio
import httpx
import socketio

from jobdesk.client.capabilities import Capabilities
from jobdesk.client.errors import AuthRejected, ProtocolBroken
from jobdesk.client.foreign import ForeignJobs
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import SessionHooks
from jobdesk.client.sources.socketio_mapping import Seen, job_id_of
from jobdesk.client.sources.socketio_options import CAPABILITIES, SocketIoOptions
from jobdesk.core.store import JobStore
from jobdesk.core.waits import wait_set
from jobdesk.protocol import Job, Status

FETCHES_AT_ONCE: Final = 8
"""Tracked jobs fetched concurrently on a (re)connect or a poll."""
CLOSE_TIMEOUT: Final = 1.0
"""Seconds a closing connection may take to say goodbye (a hung server never answers)."""


def _transport_failure(exc: BaseException) -> Exception:
    """What really failed under python-socketio's "Connection error" (it keeps the cause
    only as the context of its own exception), in the engine's terms."""
    link: BaseException | None = exc
    while link is not None:
        if isinstance(link, TimeoutError):
            return TimeoutError("timed out")
        if isinstance(link, aiohttp.WSServerHandshakeError):
            if link.status == 401:  # a gateway in front refused the credentials
                return AuthRejected("HTTP 401 to the Socket.IO handshake")
            return ProtocolBroken(f"HTTP {link.status}")
        if isinstance(link, aiohttp.ClientConnectorError):
            return link.os_error
        link = link.__cause__ or link.__context__
    return ConnectionError(str(exc))


class _HeardEngineIO(engineio.AsyncClient):
    """Engine.IO's client, noting when the server last said anything (its pings too)."""

    heard_at: float | None = None

    async def _receive_packet(self, pkt: Any) -> None:
        self.heard_at = asyncio.get_running_loop().time()
        await super()._receive_packet(pkt)


class _Client(socketio.AsyncClient):
    def _engineio_client_class(self) -> type[engineio.AsyncClient]:
        return _HeardEngineIO


class SocketIoSource:
    capabilities: Capabilities = CAPABILITIES

    def __init__(
        self,
        url: str,
        token: str,
        settings: EngineSettings,
        options: SocketIoOptions,
        *,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.url = url.rstrip("/")
        self.options = options
        self.settings = settings
        self._token = token
        self._wall = wall
        self.seen: dict[str, Seen] = {}
        """Every job tracked, as last heard of (kept across reconnects)."""
        self._foreign: ForeignJobs | None = None
        self._http = httpx.AsyncClient(base_url=self.url, timeout=settings.http_timeout)

    def push_session(self, store: JobStore, server: str, hooks: SessionHooks) -> SocketIoSession:
        return SocketIoSession(self, self.jobs(store, server), hooks)

    def jobs(self, store: JobStore, server: str) -> ForeignJobs:
        if self._foreign is None or (self._foreign.store, self._foreign.server) != (store, server):
            self._foreign = ForeignJobs(store, server)
        return self._foreign

    async def poll(self, store: JobStore, server: str, now: float) -> None:
        await self.refresh(self.jobs(store, server))

    async def fetch_job(self, job_id: str) -> Job | None:
        body = await self._get(job_id)
        if body is None:
            return None
        tracked = self.seen.get(job_id)
        # a copy: what the detail panel asked for is not news for the store's table
        seen = copy.copy(tracked) if tracked else Seen(job_id, owner=self.options.user_id)
        seen.log = list(seen.log)
        seen.merge(body)
        return seen.job()

    def set_token(self, token: str) -> None:
        self._token = token

    async def aclose(self) -> None:
        await self._http.aclose()

    # --- what the session and the poll share --------------------------------------------

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self._token}"} if self._token else {}

    @property
    def auth(self) -> dict[str, str] | None:
        return {self.options.auth_key: self._token} if self._token else None

    def unfinished(self) -> list[str]:
        """The jobs worth asking about: named ones not yet heard of, and every tracked
        job not finished (the seed polls "until the job completes or fails")."""
        named = [i for i in self.options.job_ids if i not in self.seen]
        return named + [i for i, seen in self.seen.items() if seen.status.is_active]

    async def refresh(self, jobs: ForeignJobs) -> None:
        """Fetch every unfinished tracked job and apply the answers; a job the backend
        no longer has is removed (a named one stays asked about)."""
        wanted = self.unfinished()
        limit = asyncio.Semaphore(FETCHES_AT_ONCE)

        async def one(job_id: str) -> tuple[str, dict[str, Any] | None]:
            async with limit:
                return job_id, await self._get(job_id)

        answers = await asyncio.gather(*(one(i) for i in wanted))
        gone = [job_id for job_id, body in answers if body is None and job_id in self.seen]
        for job_id in gone:
            del self.seen[job_id]
        if gone:
            jobs.remove(gone)
        changed = [i for i, body in answers if body is not None and self.heard(i, body)]
        self.apply(jobs, changed)

    def heard(self, job_id: str, data: Mapping[str, Any], final: Status | None = None) -> bool:
        """Merge one payload into its job; False when it is older than what is known."""
        seen = self.seen.get(job_id)
        if seen is None:
            owner = data.get(self.options.user_key)
            seen = self.seen[job_id] = Seen(job_id, owner=str(owner or self.options.user_id))
        return seen.merge(data, final=final)

    def apply(self, jobs: ForeignJobs, job_ids: list[str]) -> None:
        known = [self.seen[i].summary() for i in job_ids if i in self.seen]
        if known:
            jobs.upsert(known, self._wall())

    async def _get(self, job_id: str) -> dict[str, Any] | None:
        """``GET /api/jobs/{id}``'s body, or None for 404."""
        path = self.options.job_url.replace("{id}", quote(job_id, safe=""))
        response = await self._http.get(path, headers=self.headers)
        if response.status_code == 404:
            return None
        if response.status_code in (401, 403):
            raise AuthRejected(f"HTTP {response.status_code} from {path}")
        response.raise_for_status()
        body = response.json()
        if not isinstance(body, dict):
            raise ProtocolBroken(f"{path} answered {type(body).__name__}, not an object")
        return body


class SocketIoSession:
    """One Socket.IO connection: connect, subscribe, fetch, then events until it ends."""

    def __init__(self, source: SocketIoSource, jobs: ForeignJobs, hooks: SessionHooks) -> None:
        self.source = source
        self.jobs = jobs
        self.hooks = hooks
        self.authenticated_at: float | None = None
        self.was_synced = False
        self._ended = asyncio.Event()
        self._refused: str | None = None
        self._held: list[str] | None = None
        """Jobs changed by events while the (re)connect fetch runs, applied after it."""

    async def run(self) -> None:
        source, options = self.source, self.source.options
        opening = source.settings.open_timeout
        http = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=None, sock_connect=opening, sock_read=opening)
        )
        client = _Client(
            reconnection=False,
            handle_sigint=False,
            http_session=http,
            request_timeout=CLOSE_TIMEOUT,  # how long a closing WebSocket waits for its peer
        )
        self._listen(client)
        try:
            await self._connect(client)
            self.authenticated_at = asyncio.get_running_loop().time()
            await self.hooks.on_authenticated()
            self.hooks.on_heard()
            for payload in options.subscriptions():
                await client.emit(options.subscribe_event, payload, namespace=options.namespace)
            self._held = []
            await source.refresh(self.jobs)
            held, self._held = self._held, None
            source.apply(self.jobs, list(dict.fromkeys(held)))
            self.was_synced = True
            self.hooks.on_synced()
            await self._until_ended(client)
            raise ConnectionResetError("connection lost")
        finally:
            with contextlib.suppress(Exception):  # a dead or half-open connection: let go
                async with asyncio.timeout(2 * CLOSE_TIMEOUT):
                    await client.disconnect()
                    if (ws := client.eio.ws) is not None and not ws.closed:
                        await ws.close()  # python-engineio leaves it open when pings stop
            await http.close()

    def _listen(self, client: _Client) -> None:
        options = self.source.options
        namespace = options.namespace

        def refused(*data: Any) -> None:
            if client.eio.state != "connected":
                return  # the transport failed (python-socketio says so here too): no refusal
            first = data[0] if data else None
            message = first.get("message") if isinstance(first, dict) else first
            self._refused = str(message or "the server refused the connection")

        client.on("connect_error", refused, namespace=namespace)
        client.on("disconnect", lambda *_: self._ended.set(), namespace=namespace)
        for event, final in (
            (options.progress_event, None),
            (options.completed_event, Status.COMPLETED),
            (options.error_event, Status.FAILED),
        ):
            client.on(event, self._handler(final), namespace=namespace)

    def _handler(self, final: Status | None) -> Callable[..., None]:
        def handle(*data: Any) -> None:
            self.hooks.on_heard()
            payload = data[0] if data else None
            job_id = job_id_of(payload, self.source.options.job_key)
            if job_id is None or not isinstance(payload, dict):
                return  # not about a job: nothing to show
            if not self.source.heard(job_id, payload, final):
                return
            if self._held is not None:
                self._held.append(job_id)
            else:
                self.source.apply(self.jobs, [job_id])

        return handle

    async def _connect(self, client: _Client) -> None:
        source, options = self.source, self.source.options
        timeout = source.settings.open_timeout
        try:
            async with asyncio.timeout(2 * timeout):  # aiohttp's own timeouts come first
                await client.connect(
                    source.url,
                    headers=source.headers,
                    auth=source.auth,
                    transports=["websocket"],
                    namespaces=[options.namespace],
                    socketio_path=options.path,
                    wait_timeout=timeout,
                )
        except socketio.exceptions.ConnectionError as exc:
            if self._refused is not None:
                raise AuthRejected(self._refused) from exc
            raise _transport_failure(exc) from exc

    async def _until_ended(self, client: _Client) -> None:
        """Wait for the disconnect, telling the engine the server is heard while its
        Engine.IO keep-alive has not lapsed (its pings come every ``pingInterval``; the
        client itself drops the connection after ``pingInterval + pingTimeout``)."""
        eio = client.eio
        assert isinstance(eio, _HeardEngineIO)
        loop = asyncio.get_running_loop()
        while not self._ended.is_set():
            await wait_set(self._ended, 1.0)
            window = eio.ping_interval + eio.ping_timeout
            if eio.heard_at is not None and loop.time() - eio.heard_at < window:
                self.hooks.on_heard()


__all__ = ["SocketIoSession", "SocketIoSource"]
