"""submit_job, cancel_job, retry_job on the FakeServer: request shapes and seed 000's codes.

The same errors from the real server are in test_queue_integration; these pin what is
sent and how every kind of failure is mapped, including the ones a server rarely gives.
"""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from jobdesk.protocol import ErrorCode, Priority, Status
from jobdesk.sdk import AsyncJobdeskClient, JobdeskClient, SdkError, SubmissionError
from tests.sdk.fakes import JOB_ID, Drop, FakeServer, Refuse


def body(fake: FakeServer, index: int = 0) -> dict[str, Any]:
    parsed: dict[str, Any] = json.loads(fake.requests[index].content)
    return parsed


def test_submit_sends_every_queue_field(fake: FakeServer, client: JobdeskClient) -> None:
    job_id = client.submit_job(
        "send-email",
        name="welcome",
        payload={"to": "a@b.c", "n": [1, 2]},
        priority="high",
        max_attempts=3,
        timeout=90,
        metadata={"team": "growth"},
    )
    assert job_id == JOB_ID
    (request,) = fake.requests
    assert (request.method, request.url.path) == ("POST", "/api/jobs")
    assert body(fake) == {
        "jobType": "send-email",
        "name": "welcome",
        "priority": "HIGH",
        "payload": {"to": "a@b.c", "n": [1, 2]},
        "maxAttempts": 3,
        "timeout": 90.0,
        "metadata": {"team": "growth"},
        "message": "",
    }


def test_submit_defaults(fake: FakeServer, client: JobdeskClient) -> None:
    client.submit_job()
    sent = body(fake)
    assert (sent["jobType"], sent["priority"], sent["maxAttempts"]) == ("generic", "MEDIUM", 1)
    assert (sent["payload"], sent["timeout"], sent["name"]) == (None, None, None)


BAD_ARGUMENTS = [
    ({"priority": "urgent"}, "priority"),
    ({"priority": 1}, "priority"),
    ({"priority": ""}, "priority"),
    ({"max_attempts": 0}, "maxAttempts"),
    ({"max_attempts": -2}, "maxAttempts"),
    ({"max_attempts": 101}, "maxAttempts"),
    ({"max_attempts": 2.5}, "maxAttempts"),
    ({"max_attempts": True}, "maxAttempts"),
    ({"timeout": 0}, "timeout"),
    ({"timeout": -1.5}, "timeout"),
    ({"timeout": math.nan}, "timeout"),
    ({"timeout": math.inf}, "timeout"),
    ({"timeout": 8 * 24 * 3600}, "timeout"),
    ({"timeout": "60"}, "timeout"),
    ({"job_type": ""}, "jobType"),
    ({"job_type": "x" * 101}, "jobType"),
    ({"name": ""}, "name"),
    ({"name": "n" * 201}, "name"),
    ({"payload": object()}, "payload"),
    ({"payload": {"when": [object()]}}, "payload"),
    ({"metadata": {1: "x"}}, "metadata"),
    ({"metadata": ["a"]}, "metadata"),
]


@pytest.mark.parametrize(("arguments", "field"), BAD_ARGUMENTS)
def test_a_bad_argument_is_invalid_input_naming_the_field_and_nothing_is_sent(
    fake: FakeServer, client: JobdeskClient, arguments: dict[str, Any], field: str
) -> None:
    with pytest.raises(SubmissionError) as caught:
        client.submit_job(**arguments)
    error = caught.value
    assert (error.code, error.field, error.server_code) == ("INVALID_INPUT", field, "INVALID_INPUT")
    assert field in error.message
    assert fake.attempts == []


@pytest.mark.parametrize("priority", [Priority.LOW, "LOW", "low", "Low"])
def test_priority_in_any_case(fake: FakeServer, client: JobdeskClient, priority: str) -> None:
    client.submit_job(priority=priority)
    assert body(fake)["priority"] == "LOW"


REFUSALS = [
    (Refuse(401, "AUTH_REQUIRED"), "AUTH_REQUIRED", "AUTH_REQUIRED"),
    (Refuse(403, "FORBIDDEN"), "AUTH_REQUIRED", "FORBIDDEN"),
    (Refuse(400, "INVALID_INPUT", field="payload"), "INVALID_INPUT", "INVALID_INPUT"),
    (Refuse(413, "PAYLOAD_TOO_LARGE"), "INVALID_INPUT", "PAYLOAD_TOO_LARGE"),
    (Refuse(409, "CONFLICT"), "UNKNOWN_ERROR", "CONFLICT"),
    (Refuse(500, "UNKNOWN_ERROR"), "UNKNOWN_ERROR", "UNKNOWN_ERROR"),
    (Refuse(418, raw=b"<html>teapot</html>"), "UNKNOWN_ERROR", "UNKNOWN_ERROR"),
    (Refuse(400, "SOMETHING_NEW"), "UNKNOWN_ERROR", "SOMETHING_NEW"),
]


@pytest.mark.parametrize(("refusal", "code", "server_code"), REFUSALS)
def test_a_refusal_is_one_of_seed_000s_codes_keeping_the_servers(
    fake: FakeServer, client: JobdeskClient, refusal: Refuse, code: str, server_code: str
) -> None:
    fake.script("/api/jobs", refusal)
    with pytest.raises(SubmissionError) as caught:
        client.submit_job()
    error = caught.value
    assert (error.code, error.server_code, error.status) == (code, server_code, refusal.status)
    assert error.field == refusal.field
    assert isinstance(error, SdkError)
    assert isinstance(error.__cause__, SdkError)
    assert len(fake.attempts) == 1  # a considered answer is not retried


def test_a_full_server_is_retried_then_submission_failed(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/api/jobs", *[Refuse(429, "TOO_MANY_ACTIVE_JOBS")] * 3)
    with pytest.raises(SubmissionError) as caught:
        client.submit_job()
    error = caught.value
    assert (error.code, error.server_code, error.attempts) == (
        "SUBMISSION_FAILED",
        "TOO_MANY_ACTIVE_JOBS",
        3,
    )
    assert error.retryable  # seed 000's shouldRetry: the same submission may work later
    keys = {request.headers["Idempotency-Key"] for request in fake.attempts}
    assert len(fake.attempts) == 3
    assert len(keys) == 1


def test_a_full_server_that_drains_in_time_takes_the_job(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/api/jobs", Refuse(429, "TOO_MANY_ACTIVE_JOBS"))
    assert client.submit_job() == JOB_ID
    assert len(fake.attempts) == 2


def test_an_unreachable_server_is_submission_failed(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/api/jobs", Drop(), Refuse(503), Drop())
    with pytest.raises(SubmissionError) as caught:
        client.submit_job()
    assert (caught.value.code, caught.value.server_code) == ("SUBMISSION_FAILED", "UNAVAILABLE")
    assert len(fake.attempts) == 3


def test_cancel_and_retry_answer_the_job(fake: FakeServer, client: JobdeskClient) -> None:
    cancelled = client.cancel_job(JOB_ID, reason="not needed")
    assert (cancelled.id, cancelled.status) == (JOB_ID, Status.CANCELLED)
    retried = client.retry_job(JOB_ID)
    assert retried.status is Status.QUEUED
    assert [(r.url.path, json.loads(r.content)) for r in fake.requests] == [
        (f"/api/jobs/{JOB_ID}/cancel", {"reason": "not needed"}),
        (f"/api/jobs/{JOB_ID}/retry", {}),
    ]
    client.cancel_job(JOB_ID)
    assert body(fake, 2) == {"reason": None}


def test_cancel_of_a_finished_job_is_the_servers_conflict(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/cancel", Refuse(409, "CONFLICT"))
    with pytest.raises(SdkError) as caught:
        client.cancel_job(JOB_ID)
    assert caught.value.code == ErrorCode.CONFLICT


@pytest.mark.parametrize("job_id", ["", None])
def test_cancel_and_retry_need_a_job_id(client: JobdeskClient, job_id: Any) -> None:
    with pytest.raises(ValueError, match="job_id"):
        client.cancel_job(job_id)
    with pytest.raises(ValueError, match="job_id"):
        client.retry_job(job_id)


async def test_the_async_client_submits_cancels_and_retries(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    assert await aclient.submit_job("send-email", payload=[1], max_attempts=2) == JOB_ID
    assert (body(fake)["payload"], body(fake)["maxAttempts"]) == ([1], 2)
    assert (await aclient.cancel_job(JOB_ID, "stop")).status is Status.CANCELLED
    assert (await aclient.retry_job(JOB_ID)).status is Status.QUEUED


async def test_the_async_client_maps_submission_errors_alike(
    fake: FakeServer, aclient: AsyncJobdeskClient
) -> None:
    with pytest.raises(SubmissionError) as invalid:
        await aclient.submit_job(max_attempts=0)
    assert (invalid.value.code, invalid.value.field) == ("INVALID_INPUT", "maxAttempts")
    fake.script("/api/jobs", *[Refuse(429, "TOO_MANY_ACTIVE_JOBS")] * 3)
    with pytest.raises(SubmissionError) as full:
        await aclient.submit_job()
    assert full.value.code == "SUBMISSION_FAILED"
    assert full.value.server_code == "TOO_MANY_ACTIVE_JOBS"
    fake.script("/api/jobs", Refuse(403, "FORBIDDEN"))
    with pytest.raises(SubmissionError) as forbidden:
        await aclient.submit_job()
    assert forbidden.value.code == "AUTH_REQUIRED"
