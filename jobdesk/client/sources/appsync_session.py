"""One AppSync realtime connection (the ``graphql-ws`` subprotocol as AppSync speaks it):
``connection_init`` / ``connection_ack``, a subscription per followed job
(``start`` / ``start_ack`` / ``data``, ``stop`` / ``complete`` once a job is over), and
``ka`` keep-alives watched against the ack's connection timeout.

AppSync keeps no history: on every connect the subscriptions go out first and the list
is fetched only once they are acknowledged, so a change in between is in one or the
other. A job seen for the first time in the list gets its own subscription, and the list
is read once more after that subscription stands, for the same reason.

Updates are filtered by job id here: a per-job subscription takes only its job's
updates, because a backend may deliver more than asked (the simulator ignores
subscription arguments and sends every job's update to every subscription).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from jobdesk.client.errors import AuthRejected, ProtocolBroken
from jobdesk.client.foreign import ForeignJobs
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import SessionHooks
from jobdesk.client.sources import appsync_mapping as mapping
from jobdesk.client.sources.appsync_graphql import (
    Endpoints,
    GraphQLClient,
    encoded,
    is_unauthorized,
    only_field,
)
from jobdesk.protocol import JobSummary
from jobdesk.protocol.timestamps import parse_timestamp

log = logging.getLogger(__name__)
SUBPROTOCOL = "graphql-ws"
REFUSED_CLOSE_CODES = frozenset({1002, 1008, 4401, 4403})
"""Closed before ``connection_ack``: the credentials in the handshake were refused (the
simulator closes 1002 right after the upgrade; AppSync sends ``connection_error`` first)."""
DEFAULT_CONNECTION_TIMEOUT = 300.0
"""AppSync's documented 5 minutes, when the ack names none."""


@dataclass(frozen=True)
class Documents:
    job_subscription: str
    new_jobs_subscription: str
    list_query: str
    """Empty: no list; only the jobs named, submitted, or announced are followed."""
    job_query: str
    relist_every: float = 0.0
    """Seconds between lists while live (new jobs, gone jobs); 0: only on connect."""


@dataclass
class _Subscription:
    job_id: str | None
    """None: the new-jobs subscription (any job's update is news)."""
    refetch: bool = False
    acked: bool = False


class AppSyncSession:
    def __init__(
        self,
        *,
        endpoints: Endpoints,
        headers: dict[str, str],
        documents: Documents,
        graphql: GraphQLClient,
        jobs: ForeignJobs,
        followed: set[str],
        settings: EngineSettings,
        hooks: SessionHooks,
        wall: Callable[[], float],
    ) -> None:
        self._endpoints = endpoints
        self._headers = {"host": endpoints.host, **headers}
        self._documents = documents
        self._graphql = graphql
        self._jobs = jobs
        self._followed = followed
        """The source's set of job ids to follow (named, submitted, listed, announced)."""
        self._settings = settings
        self._hooks = hooks
        self._wall = wall
        self._subscriptions: dict[str, _Subscription] = {}
        self._by_job: dict[str, str] = {}
        self._ids = itertools.count(1)
        self._keepalive = DEFAULT_CONNECTION_TIMEOUT
        self._ws: ClientConnection | None = None
        """Set once synced: ``follow`` may subscribe from outside the reading loop."""
        self.authenticated_at: float | None = None
        self.was_synced = False

    async def run(self) -> None:
        query = f"?header={encoded(self._headers)}&payload={encoded({})}"
        async with connect(
            self._endpoints.realtime_url + query,
            subprotocols=[SUBPROTOCOL],  # type: ignore[list-item]
            open_timeout=self._settings.open_timeout,
            ping_interval=None,
            close_timeout=2.0,
            compression=None,
        ) as ws:
            await self._handshake(ws)
            self.authenticated_at = asyncio.get_running_loop().time()
            await self._hooks.on_authenticated()
            prober = asyncio.create_task(self._probe(ws), name="appsync probe")
            try:
                await self._sync(ws)
                self.was_synced = True
                self._ws = ws
                self._hooks.on_synced()
                await self._follow(ws)
            finally:
                self._ws = None
                prober.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await prober

    async def follow(self, job_id: str) -> None:
        """Subscribe to a job this client just submitted (the next sync would too)."""
        if self._ws is not None:
            with contextlib.suppress(ConnectionClosed):
                await self._start(self._ws, job_id, refetch=True)

    async def _follow(self, ws: ClientConnection) -> None:
        """Frames until the connection ends: dead after ``connectionTimeout`` without
        any, and the list read again every ``relist_every`` seconds (if there is one)."""
        loop = asyncio.get_running_loop()
        relist = self._documents.relist_every if self._documents.list_query else 0.0
        last = loop.time()
        next_list = last + relist if relist > 0 else float("inf")
        while True:
            now = loop.time()
            if now >= next_list:
                await self._relist(ws)
                next_list = loop.time() + relist
                continue
            try:
                frame = await self._receive(ws, min(last + self._keepalive, next_list) - now)
            except TimeoutError:
                if loop.time() - last >= self._keepalive:
                    raise
                continue  # time to list again, not silence
            last = loop.time()
            await self._handle(ws, frame)

    async def _relist(self, ws: ClientConnection) -> None:
        """Jobs created or gone since the last list, without a new-jobs subscription.

        Read between frames, never beside them: a push that arrives while the list is
        on its way waits, and is applied after the list (or ignored, being older)."""
        jobs = await read_jobs(self._graphql, self._documents, self._followed, self._jobs)
        self._jobs.replace(jobs, self._wall())
        for job in jobs:
            if _over(job):
                await self._stop(ws, job.id)
            elif job.id not in self._by_job:
                await self._start(ws, job.id, refetch=True)

    # --- the connection ----------------------------------------------------------------

    async def _handshake(self, ws: ClientConnection) -> None:
        try:
            await self._send(ws, {"type": "connection_init"})
            frame = await self._receive(ws, self._settings.open_timeout)
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            if code in REFUSED_CLOSE_CODES:
                message = f"the realtime endpoint refused the credentials ({code})"
                raise AuthRejected(message) from exc
            raise
        if frame.get("type") == "connection_error":
            errors = (frame.get("payload") or {}).get("errors") or []
            if is_unauthorized(errors):
                raise AuthRejected(json.dumps(errors))
            raise ProtocolBroken(f"connection_error: {json.dumps(errors)}")
        if frame.get("type") != "connection_ack":
            raise ProtocolBroken(f"expected connection_ack, got {frame.get('type')!r}")
        self._keepalive = connection_timeout(frame.get("payload"))

    async def _probe(self, ws: ClientConnection) -> None:
        """A WebSocket ping whenever nothing was heard for a while: AppSync's ``ka``
        comes every minute (the simulator's every four), longer than the engine's
        measure of silence, so a pong is what says an idle backend is still there."""
        interval = self._settings.probe_interval
        while True:
            await asyncio.sleep(interval)
            with contextlib.suppress(ConnectionClosed, TimeoutError):
                pong = await ws.ping()
                async with asyncio.timeout(self._settings.ping_timeout):
                    await pong
                self._hooks.on_heard()

    async def _receive(self, ws: ClientConnection, within: float) -> dict[str, Any]:
        """The next frame; ``TimeoutError`` when not even a ``ka`` came in time."""
        async with asyncio.timeout(within):
            data = await ws.recv()
        self._hooks.on_heard()
        try:
            frame = json.loads(data)
        except ValueError:
            raise ProtocolBroken(f"not JSON: {data!r:.200}") from None
        if not isinstance(frame, dict):
            raise ProtocolBroken(f"not a message: {data!r:.200}")
        return frame

    async def _send(self, ws: ClientConnection, message: dict[str, Any]) -> None:
        await ws.send(json.dumps(message))

    # --- subscribe first, then list --------------------------------------------------

    async def _sync(self, ws: ClientConnection) -> None:
        if self._documents.new_jobs_subscription:
            await self._start(ws, None)
        shown = self._jobs.store.server(self._jobs.server).jobs
        live = {job_id for job_id, job in shown.items() if not _over(job)}
        for job_id in sorted(live | self._followed):
            known = self._jobs.get(job_id)
            if known is None or not _over(known):
                await self._start(ws, job_id)
        await self._until_acked(ws)
        jobs = await read_jobs(self._graphql, self._documents, self._followed, self._jobs)
        fresh = [job.id for job in jobs if job.id not in self._by_job and not _over(job)]
        if fresh:
            for job_id in fresh:
                await self._start(ws, job_id)
            await self._until_acked(ws)
            # what changed before those subscriptions stood
            jobs = await read_jobs(self._graphql, self._documents, self._followed, self._jobs)
        self._jobs.replace(jobs, self._wall())
        for job in jobs:
            if _over(job):
                await self._stop(ws, job.id)
            elif job.id not in self._by_job:
                await self._start(ws, job.id, refetch=True)

    async def _start(
        self, ws: ClientConnection, job_id: str | None, *, refetch: bool = False
    ) -> None:
        """Subscribe (to one job, or to new jobs); ``refetch``: read the job again once
        the subscription stands, for a change made before it did."""
        if job_id is not None and job_id in self._by_job:
            return
        sub_id = f"sub-{next(self._ids)}"
        if job_id is None:
            document, variables = self._documents.new_jobs_subscription, {}
        else:
            document, variables = self._documents.job_subscription, {"id": job_id}
            self._by_job[job_id] = sub_id
        self._subscriptions[sub_id] = _Subscription(job_id, refetch=refetch)
        await self._send(
            ws,
            {
                "id": sub_id,
                "type": "start",
                "payload": {
                    "data": json.dumps({"query": document, "variables": variables}),
                    "extensions": {"authorization": self._headers},
                },
            },
        )

    async def _until_acked(self, ws: ClientConnection) -> None:
        """Handle frames until every subscription sent so far is acknowledged."""
        while not all(sub.acked for sub in self._subscriptions.values()):
            await self._handle(ws, await self._receive(ws, self._settings.open_timeout))

    # --- frames ----------------------------------------------------------------------

    async def _handle(self, ws: ClientConnection, frame: dict[str, Any]) -> None:
        kind, sub_id = frame.get("type"), frame.get("id")
        if kind == "ka":
            return
        if kind == "connection_error":
            raise ProtocolBroken(f"connection_error: {json.dumps(frame.get('payload'))}")
        sub = self._subscriptions.get(str(sub_id))
        if kind == "error":
            errors = (frame.get("payload") or {}).get("errors") or [frame.get("payload")]
            if is_unauthorized(errors):
                raise AuthRejected(json.dumps(errors))
            raise ProtocolBroken(f"subscription {sub_id} failed: {json.dumps(errors):.300}")
        if sub is None:
            return  # a stopped subscription's last words
        if kind == "start_ack":
            sub.acked = True
            if sub.refetch and sub.job_id is not None:
                await self._refetch(sub.job_id)
        elif kind == "complete":
            self._forget(str(sub_id))
        elif kind == "data":
            await self._data(ws, sub, frame.get("payload") or {})
        else:
            log.debug("skipping an AppSync message this client does not know: %s", kind)

    async def _data(self, ws: ClientConnection, sub: _Subscription, payload: Any) -> None:
        data = payload.get("data") if isinstance(payload, dict) else None
        if not isinstance(data, dict):
            return
        update = only_field(data)
        if not isinstance(update, dict):
            return
        job = mapping.summary(update)
        if sub.job_id is not None and job.id != sub.job_id:
            return  # another job's update, delivered to this job's subscription too
        if sub.job_id is None and job.id in self._by_job:
            return  # followed already: its own subscription carries it
        if _older(job, self._jobs.get(job.id)):
            return
        if not self._documents.list_query:
            self._followed.add(job.id)  # nothing else would find it again after a reconnect
        self._jobs.upsert([job], self._wall())
        if _over(job):
            await self._stop(ws, job.id)
        elif job.id not in self._by_job:
            await self._start(ws, job.id, refetch=True)

    async def _refetch(self, job_id: str) -> None:
        data = await self._graphql.execute(self._documents.job_query, {"id": job_id})
        found = only_field(data)
        if isinstance(found, dict):
            job = mapping.summary(found)
            if not _older(job, self._jobs.get(job.id)):
                self._jobs.upsert([job], self._wall())

    async def _stop(self, ws: ClientConnection, job_id: str) -> None:
        """A job that is over changes no more: its subscription ends, as the seed's does."""
        sub_id = self._by_job.get(job_id)
        if sub_id is not None:
            self._forget(sub_id)
            await self._send(ws, {"id": sub_id, "type": "stop"})

    def _forget(self, sub_id: str) -> None:
        sub = self._subscriptions.pop(sub_id, None)
        if sub is not None and sub.job_id is not None:
            self._by_job.pop(sub.job_id, None)


def connection_timeout(ack_payload: Any) -> float:
    """Seconds without any frame (``ka`` included) after which the connection is dead:
    AppSync's ack says ``connectionTimeoutMs``, the simulator's ``connectionTimeout``
    (milliseconds too); neither: AppSync's documented five minutes."""
    payload = ack_payload if isinstance(ack_payload, dict) else {}
    for key in ("connectionTimeoutMs", "connectionTimeout"):
        value = payload.get(key)
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return value / 1000.0
    return DEFAULT_CONNECTION_TIMEOUT


async def read_jobs(
    graphql: GraphQLClient, documents: Documents, followed: set[str], known: ForeignJobs
) -> list[JobSummary]:
    """Every job there is to show: the list query's answer, or without one each followed
    job read by id (one that is over is not asked again: it changes no more)."""
    if documents.list_query:
        data = await graphql.execute(documents.list_query)
        return [mapping.summary(item) for item in mapping.job_items(only_field(data))]
    jobs: list[JobSummary] = []
    for job_id in sorted(followed):
        last = known.get(job_id)
        if last is not None and _over(last):
            jobs.append(last)
            continue
        found = only_field(await graphql.execute(documents.job_query, {"id": job_id}))
        if isinstance(found, dict):
            jobs.append(mapping.summary(found))
    return jobs


def _over(job: JobSummary) -> bool:
    return mapping.is_terminal(job)


def _older(job: JobSummary, known: JobSummary | None) -> bool:
    """A push older than what the store has (it was queued behind the list's answer)."""
    if known is None:
        return False
    return parse_timestamp(job.updated_at) < parse_timestamp(known.updated_at)
