"""Operator actions against a real server: submit (every seed 000 code), cancel, retry,
several force-fails at once, cleanup."""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest

from jobdesk.client.actions import OperatorActions, SubmitError, SubmitRetry
from jobdesk.protocol import ErrorCode, Priority
from jobdesk.protocol.rest import CreateJobRequest
from tests.client.faultproxy import FaultProxy
from tests.conftest import RunningServer
from tests.polling import eventually

FAST = SubmitRetry(attempts=3, initial=0.01, cap=0.02)
"""The real backoff's shape, in milliseconds: tests must not wait seconds for it."""


def actions(server: RunningServer, who: str = "operator", **kwargs: object) -> OperatorActions:
    return OperatorActions(server.url, server.tokens[who], submit_retry=FAST, **kwargs)  # type: ignore[arg-type]


async def snapshot_job(server: RunningServer, job_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers()) as http:
        jobs = (await http.get("/api/jobs")).json()["jobs"]
    (found,) = [j for j in jobs if j["id"] == job_id]
    assert isinstance(found, dict)
    return found


# --- submit: a job is created --------------------------------------------------------


async def test_submit_creates_a_queued_job_with_every_field(server: RunningServer) -> None:
    request = CreateJobRequest(
        name="nightly report",
        job_type="document_analysis",
        priority=Priority.HIGH,
        payload={"documents": ["a.pdf", "b.pdf"]},
        max_attempts=3,
        timeout=120.0,
    )
    job_id = await actions(server).submit(request)
    job = await snapshot_job(server, job_id)
    assert (job["name"], job["jobType"], job["priority"], job["status"]) == (
        "nightly report",
        "document_analysis",
        "HIGH",
        "queued",
    )


async def test_a_worker_token_may_submit_too(server: RunningServer) -> None:
    assert (await actions(server, "worker").submit(CreateJobRequest())).startswith("job_")


# --- submit: seed 000's four codes ---------------------------------------------------


@pytest.mark.parametrize("token", ["", "jd_not_a_token"])
async def test_no_token_or_an_unknown_one_is_auth_required(
    server: RunningServer, token: str
) -> None:
    with pytest.raises(SubmitError) as raised:
        await OperatorActions(server.url, token, submit_retry=FAST).submit(CreateJobRequest())
    assert raised.value.code is ErrorCode.AUTH_REQUIRED
    assert raised.value.message  # the server's words: "a bearer token is required", ...


async def test_a_viewer_is_auth_required_with_the_servers_reason(server: RunningServer) -> None:
    with pytest.raises(SubmitError) as raised:
        await actions(server, "viewer").submit(CreateJobRequest())
    assert raised.value.code is ErrorCode.AUTH_REQUIRED
    assert "viewer" in raised.value.message


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (CreateJobRequest(max_attempts=0), "maxAttempts"),
        (CreateJobRequest(timeout=-1.0), "timeout"),
        (CreateJobRequest(name=""), "name"),
        (CreateJobRequest(job_type=""), "jobType"),
    ],
)
async def test_a_bad_field_is_invalid_input_naming_it(
    server: RunningServer, request_: CreateJobRequest, field: str
) -> None:
    with pytest.raises(SubmitError) as raised:
        await actions(server).submit(request_)
    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID_INPUT, field)
    assert field in raised.value.message


async def test_a_payload_that_is_not_json_is_invalid_input_before_sending(
    server: RunningServer,
) -> None:
    with pytest.raises(SubmitError) as raised:
        await actions(server).submit(CreateJobRequest(payload={"when": object()}))
    assert (raised.value.code, raised.value.field) == (ErrorCode.INVALID_INPUT, "payload")


async def test_a_server_that_stays_down_is_submission_failed_after_every_try() -> None:
    with socket.socket() as probe:  # a port nobody listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with FaultProxy(("127.0.0.1", port)) as proxy:
        proxy.refuse(True)
        with pytest.raises(SubmitError) as raised:
            await OperatorActions(proxy.url, "jd_x", submit_retry=FAST).submit(CreateJobRequest())
        assert proxy.connections == FAST.attempts
    assert raised.value.code is ErrorCode.SUBMISSION_FAILED
    assert "after 3 tries" in raised.value.message


async def test_a_server_that_comes_back_gets_the_job_once(server: RunningServer) -> None:
    port = int(server.url.rsplit(":", 1)[1])
    with FaultProxy(("127.0.0.1", port)) as proxy:
        proxy.refuse(True)
        retry = SubmitRetry(attempts=6, initial=0.05, cap=0.2)
        submitting = asyncio.ensure_future(
            OperatorActions(proxy.url, server.tokens["operator"], submit_retry=retry).submit(
                CreateJobRequest(name="late")
            )
        )
        await eventually(lambda: proxy.connections >= 1)
        proxy.heal()
        job_id = await submitting
    assert (await snapshot_job(server, job_id))["name"] == "late"


async def test_anything_else_is_unknown_error(server: RunningServer) -> None:
    """A URL with a path the server does not serve (a wrong proxy prefix): 404."""
    wrong = OperatorActions(
        server.url + "/not-jobdesk", server.tokens["operator"], submit_retry=FAST
    )
    with pytest.raises(SubmitError) as raised:
        await wrong.submit(CreateJobRequest())
    assert raised.value.code is ErrorCode.UNKNOWN_ERROR


# --- submit: what is retried, with a stand-in network --------------------------------


def scripted(*answers: httpx.Response) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    """A transport answering ``answers`` in turn (the last one again), recording requests."""
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers[min(len(seen), len(answers)) - 1]

    return httpx.MockTransport(answer), seen


CREATED = httpx.Response(201, json={"jobId": "job_1", "status": "queued", "timestamp": "t"})


async def test_busy_and_bad_gateway_answers_are_retried_with_one_key() -> None:
    transport, seen = scripted(
        httpx.Response(502, text="<html>bad gateway</html>"),
        httpx.Response(429, headers={"Retry-After": "0.01"}, json={"error": {"code": "X"}}),
        CREATED,
    )
    submitter = OperatorActions("http://jobs.test", "t", submit_retry=FAST, transport=transport)
    assert await submitter.submit(CreateJobRequest()) == "job_1"
    assert len(seen) == 3
    assert len({r.headers["Idempotency-Key"] for r in seen}) == 1


async def test_a_server_that_stays_full_is_submission_failed_in_its_words() -> None:
    full = httpx.Response(
        429, json={"error": {"code": "TOO_MANY_ACTIVE_JOBS", "message": "at most 1000 active"}}
    )
    transport, seen = scripted(full)
    submitter = OperatorActions("http://jobs.test", "t", submit_retry=FAST, transport=transport)
    with pytest.raises(SubmitError) as raised:
        await submitter.submit(CreateJobRequest())
    assert len(seen) == FAST.attempts
    assert raised.value.code is ErrorCode.SUBMISSION_FAILED
    assert raised.value.message == "at most 1000 active (after 3 tries)"


async def test_a_refusal_is_not_retried_and_a_bodyless_one_is_read_from_its_status() -> None:
    transport, seen = scripted(httpx.Response(413, text="too large"))
    submitter = OperatorActions("http://jobs.test", "t", submit_retry=FAST, transport=transport)
    with pytest.raises(SubmitError) as raised:
        await submitter.submit(CreateJobRequest())
    assert len(seen) == 1
    assert raised.value.code is ErrorCode.INVALID_INPUT
    assert raised.value.message == "HTTP 413 Request Entity Too Large"


# --- cancel, retry, force-fail, cleanup ----------------------------------------------


async def test_cancel_then_retry_and_what_each_refuses(server: RunningServer) -> None:
    operator = actions(server)
    queued = await operator.submit(CreateJobRequest(name="queued"))
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as w:
        done = (await w.post("/api/admin/jobs/start", json={})).json()["jobId"]
        await w.post(f"/api/admin/jobs/{done}/complete", json={})
    cancelled = await operator.cancel([queued, done, "job_missing"], reason="not needed")
    assert [o.ok for o in cancelled] == [True, False, False]
    assert cancelled[1].detail  # the server's reason: a finished job cannot be cancelled
    assert (await snapshot_job(server, queued))["status"] == "cancelled"

    retried = await operator.retry([queued, done])
    assert [o.ok for o in retried] == [True, False]  # a completed job is submitted anew
    job = await snapshot_job(server, queued)
    assert job["status"] == "queued"
    assert job["maxAttempts"] > job["attempts"]  # one more attempt allowed


async def test_only_operators_cancel_or_retry(server: RunningServer) -> None:
    job_id = await actions(server).submit(CreateJobRequest())
    for who in ("worker", "viewer"):
        (refused,) = await actions(server, who).cancel([job_id])
        assert not refused.ok
        assert refused.detail
        (refused,) = await actions(server, who).retry([job_id])
        assert not refused.ok
    assert (await snapshot_job(server, job_id))["status"] == "queued"


async def test_force_fail_several_and_report_each(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as w:
        running = [
            (await w.post("/api/admin/jobs/start", json={})).json()["jobId"] for _ in range(2)
        ]
        done = (await w.post("/api/admin/jobs/start", json={})).json()["jobId"]
        await w.post(f"/api/admin/jobs/{done}/complete", json={})
    operator = OperatorActions(server.url, server.tokens["operator"])
    outcomes = await operator.force_fail([*running, done, "job_missing"], reason="stuck")
    assert [o.ok for o in outcomes] == [True, True, False, False]
    assert "already completed" in outcomes[2].detail
    assert "no job with id" in outcomes[3].detail


async def test_a_viewer_is_refused_clearly(server: RunningServer) -> None:
    viewer = OperatorActions(server.url, server.tokens["viewer"])
    (outcome,) = await viewer.force_fail(["job_x"])
    assert not outcome.ok
    assert outcome.detail == "only operators may force-fail a job"


async def test_emergency_cleanup_counts(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as w:
        for _ in range(3):
            await w.post("/api/jobs", json={})
    assert await OperatorActions(server.url, server.tokens["operator"]).emergency_cleanup() == 3
