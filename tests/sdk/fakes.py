"""A scripted stand-in for the jobdesk server, on httpx.MockTransport.

It answers every endpoint the SDK uses with a valid body, records each request, and
lets a test script failures: ``server.script("/progress", Refuse(409, "CONFLICT"))``.

A batch (``POST /api/admin/jobs/batch``) is taken apart: each report is recorded, and
meets the scripts, as the request to ``/api/admin/jobs/{id}/progress`` (or ``/message``)
it stands for. A refusal in the 4xx refuses that report alone, in the batch's answer;
a dropped exchange or a 5xx fails the whole batch, as it would the one request. With
``batching = False`` the fake is a server without the batch endpoint (404). A bare
report (a job id and an attempt: a worker renewing its leases) stands for
``/api/admin/jobs/{id}/heartbeat``.

A claim hands out up to ``maxJobs`` of ``queue``; a complete-and-claim (``POST
/api/queue/complete``) is recorded, and meets the scripts, as the ``.../complete`` it
stands for, and claims the next ones as its ``claim`` asks (``combining = False``: a
server without it, 404). A complete-many (``POST /api/queue/complete-many``) is taken
apart the same way: each completion is recorded, and meets the scripts, as the
``.../complete`` it stands for (a 4xx refuses it alone, in the answer), and the claim
rides along (``rounding = False``: a server without it, 404).
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

JOB_ID = "job_0123456789abcdef"
BATCH_PATH = "/api/admin/jobs/batch"
COMPLETE_PATH = "/api/queue/complete"
COMPLETE_MANY_PATH = "/api/queue/complete-many"
PROGRESS_FIELDS = ("progress", "message", "subOperation", "pipeline")
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
    known_jobs: list[dict[str, Any]] = field(default_factory=lambda: [job_json()])
    """What GET /api/jobs/{id}/detail answers with (by id; 404 for any other)."""
    queue: list[dict[str, Any]] = field(default_factory=list)
    """Jobs the next claims hand out, in turn; then ``{"job": null}`` at once."""
    batching: bool = True
    combining: bool = True
    combined: list[dict[str, Any]] = field(default_factory=list)
    """The body of each complete-and-claim request, in arrival order."""
    rounding: bool = True
    rounds: list[dict[str, Any]] = field(default_factory=list)
    """The body of each complete-many request, in arrival order."""
    round_keys: list[str] = field(default_factory=list)
    """The ``Idempotency-Key`` of each complete-many request answered."""
    batches: list[int] = field(default_factory=list)
    """The number of reports in each batch request, in arrival order."""
    batch_keys: list[str] = field(default_factory=list)
    """The ``Idempotency-Key`` of each batch request."""
    delay: float = 0.0
    """Seconds every answer takes (so reports pile up while one is in flight)."""
    in_flight: int = 0
    most_in_flight: int = 0
    down: bool = False
    """Every request fails as if the server were unreachable, until set back."""
    gate: threading.Event = field(default_factory=lambda: _open_gate())
    """Cleared, requests wait (in flight) until it is set again."""
    _scripts: dict[str, list[Step]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def script(self, suffix: str, *steps: Step) -> None:
        """The next requests whose path ends with ``suffix`` meet ``steps``, in turn."""
        with self._lock:
            self._scripts.setdefault(suffix, []).extend(steps)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def async_transport(self) -> httpx.MockTransport:
        """For an AsyncClient whose answers take ``delay`` without blocking its loop."""

        async def handle(request: httpx.Request) -> httpx.Response:
            await request.aread()
            with self._lock:
                self.in_flight += 1
                self.most_in_flight = max(self.most_in_flight, self.in_flight)
            try:
                await asyncio.sleep(self.delay)
                return self._handle(request)
            finally:
                with self._lock:
                    self.in_flight -= 1

        return httpx.MockTransport(handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self._lock:
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if self.delay:
                time.sleep(self.delay)
            assert self.gate.wait(10), "the gate stayed closed"
            return self._handle(request)
        finally:
            with self._lock:
                self.in_flight -= 1

    def _handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            with self._lock:
                self.attempts.append(request)
            raise httpx.ConnectError("the server is down", request=request)
        if request.url.path == BATCH_PATH:
            return self._batch(request)
        if request.url.path == COMPLETE_PATH:
            return self._complete_and_claim(request)
        if request.url.path == COMPLETE_MANY_PATH:
            return self._complete_many(request)
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

    def _batch(self, request: httpx.Request) -> httpx.Response:
        if not self.batching:
            with self._lock:
                self.batch_keys.append(request.headers.get("Idempotency-Key", ""))
            return Refuse(404, "NOT_FOUND", "Not Found").response()
        items: list[dict[str, Any]] = json.loads(request.content)["updates"]
        results: list[dict[str, Any]] = []
        committed: list[httpx.Request] = []
        failure: Refuse | Drop | None = None
        with self._lock:
            self.batches.append(len(items))
            self.batch_keys.append(request.headers.get("Idempotency-Key", ""))
            for item in items:
                single = _single(request, item)
                self.attempts.append(single)
                step = self._next_step(single.url.path)
                if isinstance(step, Drop) or (isinstance(step, Refuse) and step.status >= 500):
                    failure = step
                    break
                if isinstance(step, Refuse):
                    error = {"code": step.code, "message": step.message, "field": step.field}
                    results.append({"jobId": item["jobId"], "error": error})
                    continue
                committed.append(single)
                results.append({"jobId": item["jobId"], "status": "running", "timestamp": NOW})
            if isinstance(failure, Drop) and failure.after_commit:
                self.requests.extend(_single(request, item) for item in items)
            elif failure is None:
                self.requests.extend(committed)
        if isinstance(failure, Drop):
            raise failure.error("scripted failure", request=request)
        if isinstance(failure, Refuse):
            return failure.response()
        return httpx.Response(200, json={"results": results})

    def _complete_and_claim(self, request: httpx.Request) -> httpx.Response:
        if not self.combining:
            return Refuse(404, "NOT_FOUND", "Not Found").response()
        body = json.loads(request.content)
        with self._lock:
            self.combined.append(body)
        answer = self._handle(_completion(request, body))
        if not answer.is_success:
            return answer
        claimed = self._claimed_along(body)
        done = job_json(body["jobId"], "completed")
        return httpx.Response(200, json={"job": done, "claimed": claimed})

    def _complete_many(self, request: httpx.Request) -> httpx.Response:
        if not self.rounding:
            return Refuse(404, "NOT_FOUND", "Not Found").response()
        body = json.loads(request.content)
        with self._lock:
            self.rounds.append(body)
            self.round_keys.append(request.headers.get("Idempotency-Key", ""))
        results: list[dict[str, Any]] = []
        for c in body["completions"]:
            answer = self._handle(_completion(request, c))
            if answer.status_code >= 500:
                return answer
            if answer.is_success:
                results.append({"jobId": c["jobId"], "status": "completed", "timestamp": NOW})
            else:
                results.append({"jobId": c["jobId"], "error": answer.json()["error"]})
        claimed = self._claimed_along(body)
        return httpx.Response(200, json={"results": results, "claimed": claimed})

    def _claimed_along(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """What a completion's ``claim`` takes from the queue."""
        wanted = (body.get("claim") or {}).get("maxJobs", 0)
        with self._lock:
            claimed, self.queue = self.queue[:wanted], self.queue[wanted:]
        return claimed

    def _next_step(self, path: str) -> Step | None:
        for suffix, steps in self._scripts.items():
            if path.endswith(suffix) and steps:
                return steps.pop(0)
        return None

    def _answer(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "GET" and path.endswith("/detail"):
            job_id = path.split("/")[-2]
            for known in self.known_jobs:
                if known["id"] == job_id:
                    return httpx.Response(200, json=known)
            error = {"code": "NOT_FOUND", "message": f"no job with id {job_id!r}", "field": "id"}
            return httpx.Response(404, json={"error": error})
        if path == "/api/jobs":
            return httpx.Response(201, json={"jobId": JOB_ID, "status": "queued", "timestamp": NOW})
        if path == "/api/queue/claim":
            wanted = json.loads(request.content).get("maxJobs", 1)
            with self._lock:
                jobs, self.queue = self.queue[:wanted], self.queue[wanted:]
            return httpx.Response(200, json={"job": jobs[0] if jobs else None, "jobs": jobs})
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

    def actions_of(self, job_id: str) -> list[str]:
        return [action for action, _ in self.writes(job_id)]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Poll until ``predicate`` holds; fail the test at the deadline."""
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"condition not met in {timeout} s; writes: {self.writes()}")
            time.sleep(0.005)


def _completion(request: httpx.Request, body: dict[str, Any]) -> httpx.Request:
    """The ``.../complete`` request a combined completion stands for."""
    return httpx.Request(
        "POST",
        request.url.copy_with(path=f"/api/admin/jobs/{body['jobId']}/complete"),
        json={"result": body.get("result"), "message": body.get("message")},
        headers={"Jobdesk-Attempt": str(body["attempt"])},
    )


def _open_gate() -> threading.Event:
    gate = threading.Event()
    gate.set()
    return gate


def _single(batch: httpx.Request, item: dict[str, Any]) -> httpx.Request:
    """The request one report of a batch stands for, with the body it would have had."""
    log = item.get("log")
    if log is None and not any(k in item for k in PROGRESS_FIELDS):
        action, body = "heartbeat", {}
    elif log is not None and not any(k in item for k in PROGRESS_FIELDS):
        action, body = "message", {"level": log.get("level", "info"), "text": log["text"]}
    else:
        action, body = "progress", {k: item.get(k) for k in PROGRESS_FIELDS}
    headers = {"Authorization": batch.headers.get("Authorization", "")}
    if "attempt" in item:
        headers["Jobdesk-Attempt"] = str(item["attempt"])
    url = batch.url.copy_with(path=f"/api/admin/jobs/{item['jobId']}/{action}")
    return httpx.Request("POST", url, json=body, headers=headers)


def claimable(job_id: str = JOB_ID, attempt: int = 1, payload: Any = None) -> dict[str, Any]:
    """A job as a claim hands it out: running, on its ``attempt``-th attempt."""
    return {**job_json(job_id), "attempts": attempt, "payload": payload, "maxAttempts": 3}
