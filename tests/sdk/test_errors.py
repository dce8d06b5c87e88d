"""Requests: retries on transient failures only, and every answer mapped to SdkError."""

from __future__ import annotations

import httpx
import pytest

from jobdesk.protocol import Status
from jobdesk.sdk import BAD_RESPONSE, UNAVAILABLE, ErrorCode, JobdeskClient, SdkError
from tests.sdk.fakes import JOB_ID, Drop, FakeServer, Refuse


def test_connection_errors_are_retried_with_the_same_idempotency_key(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/start", Drop(), Drop(error=httpx.ReadTimeout))
    reporter = client.start_job("etl")
    assert reporter.job_id == JOB_ID
    keys = {r.headers["Idempotency-Key"] for r in fake.attempts}
    assert len(fake.attempts) == 3
    assert len(keys) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_answers_are_retried(fake: FakeServer, client: JobdeskClient, status: int) -> None:
    fake.script("/api/jobs", Refuse(status, raw=b"<html>bad gateway</html>"))
    assert client.create_job() == JOB_ID
    assert len(fake.attempts) == 2


def test_unreachable_after_the_policy_raises_unavailable(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/start", Drop(), Drop(), Drop(), Drop())
    with pytest.raises(SdkError) as caught:
        client.start_job()
    assert (caught.value.code, caught.value.attempts) == (UNAVAILABLE, 3)
    assert caught.value.retryable
    assert len(fake.attempts) == 3


def test_gateway_answers_to_the_end_raise_unavailable_with_the_status(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/api/jobs", *[Refuse(503, "UNKNOWN_ERROR", "restarting")] * 3)
    with pytest.raises(SdkError) as caught:
        client.create_job()
    assert (caught.value.code, caught.value.status) == (UNAVAILABLE, 503)
    assert "restarting" in caught.value.message


@pytest.mark.parametrize(
    ("status", "code", "field"),
    [
        (400, "INVALID_INPUT", "name"),
        (401, "AUTH_REQUIRED", None),
        (403, "FORBIDDEN", None),
        (404, "NOT_FOUND", "id"),
        (409, "CONFLICT", "status"),
        (429, "TOO_MANY_ACTIVE_JOBS", None),
    ],
)
def test_client_errors_are_never_retried_and_keep_the_servers_code(
    fake: FakeServer, client: JobdeskClient, status: int, code: str, field: str | None
) -> None:
    fake.script("/start", Refuse(status, code, "no way", field))
    with pytest.raises(SdkError) as caught:
        client.start_job()
    error = caught.value
    assert (error.code, error.status, error.field, error.message) == (code, status, field, "no way")
    assert error.code == ErrorCode(code)
    assert len(fake.attempts) == 1


def test_an_error_without_a_body_is_named_by_its_status(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/api/jobs", Refuse(500, raw=b"Internal Server Error"), Refuse(404, raw=b""))
    with pytest.raises(SdkError) as first:
        client.create_job()
    assert (first.value.code, first.value.status) == ("UNKNOWN_ERROR", 500)
    assert "Internal Server Error" in first.value.message
    with pytest.raises(SdkError) as second:
        client.create_job()
    assert second.value.code == "NOT_FOUND"
    assert len(fake.attempts) == 2


def test_an_unknown_code_from_a_newer_server_passes_through(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/api/jobs", Refuse(422, "QUOTA_EXCEEDED", "too many today"))
    with pytest.raises(SdkError) as caught:
        client.create_job()
    assert (caught.value.code, caught.value.message) == ("QUOTA_EXCEEDED", "too many today")
    assert not caught.value.retryable


def test_a_2xx_with_a_foreign_body_is_a_bad_response(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/api/jobs", lambda request: httpx.Response(201, json={"id": 7}))
    with pytest.raises(SdkError) as caught:
        client.create_job()
    assert (caught.value.code, caught.value.status) == (BAD_RESPONSE, 201)


def test_every_request_carries_the_bearer_token_and_writes_a_json_body(
    fake: FakeServer, client: JobdeskClient
) -> None:
    client.create_job("file_processing", metadata={"fileName": "a.pdf"}, priority="HIGH")
    client.get_job(JOB_ID)
    assert [r.headers["Authorization"] for r in fake.requests] == ["Bearer jd_secret"] * 2
    created = fake.requests[0]
    assert created.headers["Content-Type"] == "application/json"
    assert created.read() == (
        b'{"jobType":"file_processing","message":"","metadata":{"fileName":"a.pdf"},'
        b'"name":null,"priority":"HIGH","payload":null,"maxAttempts":1,"timeout":null}'
    )


def test_get_job_reads_the_canonical_job(fake: FakeServer, client: JobdeskClient) -> None:
    job = client.get_job(JOB_ID)
    assert (job.id, job.status) == (JOB_ID, Status.RUNNING)
    with pytest.raises(SdkError) as caught:
        client.get_job("job_missing")
    assert caught.value.code == "NOT_FOUND"
