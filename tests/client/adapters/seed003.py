"""A fake seed 003 JobDashboard backend: the fake seed 001 admin store (its list is the
dashboard's fetch) with ``/api/notifications/ws`` on the same port, speaking seed 003:
``auth`` -> ``connected`` or ``auth_failed`` (then close 1008), ``subscribe_jobs`` ->
``jobs_subscribed``, then a ``job_update`` for every change the store makes, as its
queue broadcasts them; ``ping`` -> ``pong``; ``job_stats_update`` when the test says.

Pushed jobs carry progress 0-100 (protocol.md's socket), the list 0-1 (seed 001). The
test can expire the token mid-session (the backend's 15-minute tokens) and mute the
socket (a backend that hangs: nothing sent, no ``pong``, while its REST side answers).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections import Counter
from collections.abc import Callable
from typing import Any

from tests.client.adapters.fake_http import Answer
from tests.client.adapters.seed001 import Seed001, _now

_CLOSE = object()


def pushed(job: dict[str, Any]) -> dict[str, Any]:
    """A job as the socket sends it: progress in percent."""
    steps = [{**step, "progress": step["progress"] * 100} for step in job["subOperations"]]
    return {**job, "progress": job["progress"] * 100, "subOperations": steps}


class _Client:
    def __init__(self) -> None:
        self.outbox: asyncio.Queue[object] = asyncio.Queue()
        self.authed = False

    def put(self, message: dict[str, Any]) -> None:
        self.outbox.put_nowait(message)

    def refuse(self) -> None:
        self.put({"type": "auth_failed", "message": "Invalid or expired token"})
        self.outbox.put_nowait(_CLOSE)


class Seed003(Seed001):
    def __init__(self, token: str | None = "admin-token") -> None:
        super().__init__(token)
        self.connections = 0
        """WebSocket connections accepted so far."""
        self.received: Counter[str] = Counter()
        """Client messages by type (``auth``, ``subscribe_jobs``, ``ping``...)."""
        self.auth_failures = 0
        self.muted = False
        self.after_list: Callable[[], None] | None = None
        """Run once, right after a list's last page is answered (a change in the gap)."""
        self._clients: set[_Client] = set()
        self._subscribed: set[_Client] = set()

    # --- the queue's broadcasts ---------------------------------------------------------

    def create(self, job_type: str = "argument-condensation") -> str:
        job_id = super().create(job_type)
        self._broadcast(job_id)
        return job_id

    def queue(self, job_type: str = "send-email") -> str:
        """A job waiting for a worker (seed 003's ``pending``)."""
        job_id = super().create(job_type)
        self.jobs[job_id].update(status="pending", startedAt=None)
        self._broadcast(job_id)
        return job_id

    def run(self, job_id: str) -> None:
        self.jobs[job_id].update(status="running", updatedAt=_now())
        self._broadcast(job_id)

    def retry(self, job_id: str, error: str) -> None:
        """The job failed and the queue tries again (``retrying``)."""
        self.jobs[job_id].update(status="retrying", error=error, updatedAt=_now())
        self._broadcast(job_id)

    def progress(self, job_id: str, fraction: float, step: str | None = None) -> None:
        super().progress(job_id, fraction, step)
        self._broadcast(job_id)

    def message(self, job_id: str, level: str, text: str) -> None:
        super().message(job_id, level, text)
        self._broadcast(job_id)

    def finish(self, job_id: str, error: str | None = None) -> None:
        super().finish(job_id, error)
        self._broadcast(job_id)

    def stats(self) -> dict[str, int]:
        counts = Counter(job["status"] for job in self.jobs.values())
        words = ("pending", "running", "completed", "failed")
        return {**{word: counts[word] for word in words}, "total": len(self.jobs)}

    def send_stats(self) -> None:
        frame = {"type": "job_stats_update", "stats": self.stats(), "timestamp": _now()}
        for client in self._subscribed:
            client.put(frame)

    def ping_clients(self) -> None:
        """The backend's heartbeat (every 30 s in the seed)."""
        for client in self._clients:
            client.put({"type": "ping"})

    def expire_token(self, new_token: str) -> None:
        """The token ran out: every signed-in socket gets ``auth_failed``, and only
        ``new_token`` is taken from now on (by the list too)."""
        self.token = new_token
        for client in [c for c in self._clients if c.authed]:
            self.auth_failures += 1
            self._subscribed.discard(client)
            client.refuse()

    def _broadcast(self, job_id: str) -> None:
        frame = {"type": "job_update", "job": pushed(self.jobs[job_id]), "timestamp": _now()}
        for client in self._subscribed:
            client.put(frame)

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> Answer:
        status, body = super().answer(method, path, query)
        body = json.loads(json.dumps(body))  # as it is now, not as the hook leaves it
        if path == "/api/admin/jobs" and "nextCursor" not in body and self.after_list:
            hook, self.after_list = self.after_list, None
            hook()
        return status, body

    # --- the socket -------------------------------------------------------------------

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "websocket" or scope["path"] != "/api/notifications/ws":
            await super().__call__(scope, receive, send)
            return
        if (await receive())["type"] != "websocket.connect":
            return
        await send({"type": "websocket.accept"})
        self.connections += 1
        client = _Client()
        self._clients.add(client)
        sender = asyncio.create_task(self._send_all(client, send))
        try:
            while True:
                event = await receive()
                if event["type"] == "websocket.disconnect":
                    return
                self._on_message(client, json.loads(event.get("text") or "{}"))
        finally:
            self._clients.discard(client)
            self._subscribed.discard(client)
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender

    def _on_message(self, client: _Client, message: dict[str, Any]) -> None:
        kind = message.get("type", "")
        self.received[kind] += 1
        if self.muted:
            return
        if kind == "auth":
            if self.token is None or message.get("token") == self.token:
                client.authed = True
                client.put({"type": "connected", "message": "WebSocket connection established"})
            else:
                self.auth_failures += 1
                client.refuse()
        elif kind == "ping":
            client.put({"type": "pong"})
        elif kind == "subscribe_jobs" and client.authed:
            self._subscribed.add(client)
            client.put({"type": "jobs_subscribed", "message": "Subscribed to job updates"})
        elif kind == "unsubscribe_jobs":
            self._subscribed.discard(client)

    async def _send_all(self, client: _Client, send: Any) -> None:
        while True:
            frame = await client.outbox.get()
            if frame is _CLOSE:
                await send({"type": "websocket.close", "code": 1008})
                return
            if not self.muted:
                await send({"type": "websocket.send", "text": json.dumps(frame)})
