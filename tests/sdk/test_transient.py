"""Transient failures the server's hardening brought up: a 503 with ``Retry-After`` is
tried again no sooner than asked (within max_delay), and a connection closed with no
answer (the keep-alive race, docs/server.md) is tried again with the same
Idempotency-Key, so the server acts once."""

from __future__ import annotations

import httpx

from jobdesk.sdk.retry import RetryPolicy
from jobdesk.sdk.submission import submit_call
from jobdesk.sdk.threads import ThreadShell
from tests.sdk.fakes import JOB_ID, Drop, FakeServer


def _full(retry_after: str) -> httpx.Response:
    error = {"code": "STORAGE_FULL", "message": "the server's storage is full"}
    return httpx.Response(503, headers={"Retry-After": retry_after}, json={"error": error})


def test_retry_after_lengthens_the_wait_up_to_max_delay(fake: FakeServer) -> None:
    fake.script("/api/jobs", lambda _: _full("3"), lambda _: _full("60"), lambda _: _full("x"))
    policy = RetryPolicy(max_attempts=4, base_delay=0.1, max_delay=10, max_elapsed=300)
    waits: list[float] = []

    def pause(seconds: float) -> bool:
        waits.append(seconds)
        return True

    with httpx.Client(base_url="http://jobdesk.test", transport=fake.transport()) as http:
        transport = ThreadShell(http, policy, rng=lambda: 0.0)
        call = submit_call("email", None, None, "MEDIUM", 1, None, None)
        assert transport.send(call, pause).job_id == JOB_ID
    assert waits == [3.0, 10.0, 0.4]  # as asked; capped; unreadable: the backoff's own


def test_a_connection_closed_without_an_answer_is_retried_with_the_same_key(
    fake: FakeServer,
) -> None:
    fake.script("/api/jobs", Drop(error=httpx.RemoteProtocolError), Drop(error=httpx.ReadError))
    policy = RetryPolicy(max_attempts=3, base_delay=0.0, max_delay=0.0, max_elapsed=5.0)
    with httpx.Client(base_url="http://jobdesk.test", transport=fake.transport()) as http:
        call = submit_call("email", None, None, "MEDIUM", 1, None, None)
        assert ThreadShell(http, policy).send(call).job_id == JOB_ID
    assert len(fake.attempts) == 3
    assert {r.headers["Idempotency-Key"] for r in fake.attempts} == {call.key}
