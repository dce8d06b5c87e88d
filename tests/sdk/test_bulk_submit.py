"""``submit_jobs`` against the real server: 1,000 jobs a request, ids in the order given,
checked before anything is sent, and a stop part way says what was queued."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from jobdesk.protocol import Job
from jobdesk.sdk import (
    AsyncJobdeskClient,
    BulkSubmissionError,
    JobdeskClient,
    JobSpec,
    RetryPolicy,
    SubmissionError,
)
from tests.conftest import RunningServer
from tests.paged import read_all

ONCE = RetryPolicy(max_attempts=1)


def queued(server: RunningServer) -> list[Job]:
    with httpx.Client(base_url=server.url, headers=server.headers("operator")) as client:
        return read_all(client, Job).jobs


def frames(count: int) -> list[JobSpec]:
    return [JobSpec(job_type="render", payload={"frame": n}, max_attempts=2) for n in range(count)]


def test_thousands_of_jobs_in_order_through_the_sync_client(server: RunningServer) -> None:
    with JobdeskClient(server.url, server.tokens["operator"]) as client:
        ids = client.submit_jobs(frames(2345))
        assert client.submit_jobs([]) == []
    assert len(ids) == len(set(ids)) == 2345
    jobs = {job.id: job for job in queued(server)}
    assert [jobs[i].payload for i in ids[:3]] == [{"frame": 0}, {"frame": 1}, {"frame": 2}]
    assert jobs[ids[-1]].payload == {"frame": 2344}
    assert {job.max_attempts for job in jobs.values()} == {2}


async def test_the_async_client_does_the_same(server: RunningServer) -> None:
    async with AsyncJobdeskClient(server.url, server.tokens["worker"]) as client:
        ids = await client.submit_jobs(frames(1001))
    assert len(ids) == 1001
    assert {job.owner for job in queued(server)} == {"worker-1"}


def test_a_bad_spec_is_refused_before_anything_is_sent(server: RunningServer) -> None:
    specs = [*frames(1500), JobSpec(job_type="render", max_attempts=0)]
    client = JobdeskClient(server.url, server.tokens["operator"])
    with client, pytest.raises(SubmissionError) as refused:
        client.submit_jobs(specs)
    assert refused.value.code == "INVALID_INPUT"
    assert refused.value.field == "jobs[1500].maxAttempts"
    assert queued(server) == []


@pytest.mark.parametrize("config_overrides", [{"max_active_jobs": 1500}])
def test_a_stop_part_way_says_which_were_queued(server: RunningServer) -> None:
    client = JobdeskClient(server.url, server.tokens["operator"], retry=ONCE)
    with client, pytest.raises(BulkSubmissionError) as stopped:
        client.submit_jobs(frames(2500))
    error: Any = stopped.value
    assert error.code == "SUBMISSION_FAILED"
    assert error.server_code == "TOO_MANY_ACTIVE_JOBS"
    assert len(error.submitted) == 1000  # the first request; the second was refused whole
    assert {job.id for job in queued(server)} == set(error.submitted)


def test_a_spec_from_the_wire_names() -> None:
    spec = JobSpec.from_wire({"jobType": "mail", "maxAttempts": 4}, {"priority": "HIGH"})
    assert (spec.job_type, spec.max_attempts, spec.priority) == ("mail", 4, "HIGH")
    with pytest.raises(SubmissionError, match="unknown field 'jobtype'"):
        JobSpec.from_wire({"jobtype": "mail"})
