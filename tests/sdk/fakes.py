"""A scripted stand-in for the jobdesk server, on httpx.MockTransport.

It answers every endpoint the SDK uses with a valid body, records each request, and
lets a test script failures: ``server.script("/progress", Refuse(409, "CONFLICT"))``.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

JOB_ID = "job_0123456789abcdef"
NOW = "2026-11-22T10:00:00.123Z"


@dataclass(frozen=True)
class Refuse:
    """Answer with an error body (or ``raw`` bytes instead of one)."""

    status: int
    code: str = ""
    message: str = "refused"
    field: str | None = None
    raw: bytes | None = None

    def response(self) -> httpx.Response:
        if self.raw is not None:
            return httpx.Response(self.status, content=self.raw)
        error = {"code": self.code, "message": self.message, "field": self.field}
        return httpx.Response(self.status, json={"error": error})


@dataclass(frozen=True)
class Drop:
    """Fail the exchange the way a dead server does; ``after_commit`` records it first."""

    after_commit: bool = False
    error: type[httpx.TransportError] = httpx.ConnectError


Step = Refuse | Drop | Callable[[httpx.Request], httpx.Response]


def job_json(job_id: str = JOB_ID, status: str = "running") -> dict[str, Any]:
    return {"id": job_id, "name": "n", "status": status, "createdAt": NOW, "updatedAt": NOW}


@dataclass
class FakeServer:
    requests: list[httpx.Request] = field(default_factory=list)
    attempts: list[httpx.Request] = field(default_factory=list)
    snapshot_jobs: list[dict[str, Any]] = field(default_factory=lambda: [job_json()])
    queue: list[dict[str, Any]] = field(default_factory=list)
    """Jobs the next claims hand out, in turn; then ``{"job": null}`` at once."""
    _scripts: dict[str, list[Step]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, suffix: str, *steps: Step) -> None:
        """The next requests whose path ends with ``suffix`` meet ``steps``, in turn."""
        with self._lock:
            self._scripts.setdefault(suffix, []).extend(steps)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.attempts.append(request)
            step = self._next_step(request.url.path)
            if step is None or (isinstance(step, Drop) and step.after_commit):
                self.requests.append(request)
        if isinstance(step, Drop):
            raise step.error("scripted failure", request=request)
        if isinstance(step, Refuse):
            return step.response()
        if step is not None:
            return step(request)
        return self._answer(request)

    def _next_step(self, path: str) -> Step | None:
        for suffix, steps in self._scripts.items():
            if path.endswith(suffix) and steps:
                return steps.pop(0)
        return None

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path == "/api/jobs":
            return httpx.Response(200, json={"epoch": "e", "seq": 1, "jobs": self.snapshot_jobs})
        if path == "/api/jobs":
            return httpx.Response(201, json={"jobId": JOB_ID, "status": "queued", "timestamp": NOW})
        if path == "/api/queue/claim":
            with self._lock:
                job = self.queue.pop(0) if self.queue else None
            return httpx.Response(200, json={"job": job})
        if path.endswith("/heartbeat"):
            job_id = path.split("/")[-2]
            lease = {"leaseExpiresAt": NOW, "timestamp": NOW}
            attempt = int(request.headers.get("Jobdesk-Attempt", "1"))
            return httpx.Response(200, json={"jobId": job_id, "attempt": attempt, **lease})
        if path.startswith("/api/jobs/") and path.endswith(("/cancel", "/retry")):
            job_id, action = path.split("/")[-2:]
            status = "cancelled" if action == "cancel" else "queued"
            return httpx.Response(200, json=job_json(job_id, status))
        if path == "/api/admin/jobs/start":
            return httpx.Response(
                201, json={"jobId": JOB_ID, "status": "running", "timestamp": NOW}
            )
        status = {"complete": "completed", "fail": "failed"}.get(path.rsplit("/", 1)[1], "running")
        return httpx.Response(200, json={"jobId": JOB_ID, "status": status, "timestamp": NOW})

    # --- what the tests read -----------------------------------------------------------

    def writes(self, job_id: str = JOB_ID) -> list[tuple[str, dict[str, Any]]]:
        """(action, JSON body) of each committed write to the job, in arrival order."""
        prefix = f"/api/admin/jobs/{job_id}/"
        with self._lock:
            found = [r for r in self.requests if r.url.path.startswith(prefix)]
        return [(r.url.path.removeprefix(prefix), json.loads(r.content)) for r in found]

    def actions(self) -> list[str]:
        return [action for action, _ in self.writes()]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Poll until ``predicate`` holds; fail the test at the deadline."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in {timeout} s; writes: {self.writes()}")
            time.sleep(0.005)


def claimable(job_id: str = JOB_ID, attempt: int = 1, payload: Any = None) -> dict[str, Any]:
    """A job as a claim hands it out: running, on its ``attempt``-th attempt."""
    return {**job_json(job_id), "attempts": attempt, "payload": payload, "maxAttempts": 3}
