"""``with client.start_job(...) as job``: completes on a normal exit, fails on an exception."""

from __future__ import annotations

import pytest

from jobdesk.protocol import Status
from jobdesk.sdk import JobdeskClient, JobReporter, SdkError
from tests.sdk.fakes import JOB_ID, FakeServer, Refuse


def test_an_exception_fails_the_job_with_its_text_and_propagates(
    fake: FakeServer, client: JobdeskClient
) -> None:
    seen: list[JobReporter] = []

    def work() -> None:
        with client.start_job("etl") as job:
            seen.append(job)
            job.progress(30)
            job.info("reading rows")
            raise ValueError("bad row 7")

    with pytest.raises(ValueError, match="bad row 7"):
        work()
    assert fake.writes() == [
        ("progress", {"progress": 0.3, "message": None, "subOperation": None, "pipeline": None}),
        ("message", {"level": "info", "text": "reading rows"}),
        ("fail", {"error": "ValueError: bad row 7"}),
    ]
    assert seen[0].finished is Status.FAILED


def test_a_normal_exit_completes_the_job(fake: FakeServer, client: JobdeskClient) -> None:
    with client.start_job() as job:
        job.progress(100)
    assert fake.actions() == ["progress", "complete"]
    assert fake.writes()[-1][1] == {"result": None, "message": None}
    assert job.finished is Status.COMPLETED


def test_an_explicit_outcome_inside_the_block_is_not_repeated(
    fake: FakeServer, client: JobdeskClient
) -> None:
    with client.start_job() as job:
        job.complete(result={"documentId": "doc_1"})
    with client.reporter(JOB_ID) as other:
        other.fail("gave up")
    assert fake.actions() == ["complete", "fail"]


def test_a_reporter_closed_inside_the_block_leaves_the_job_alone(
    fake: FakeServer, client: JobdeskClient
) -> None:
    with client.reporter(JOB_ID) as job:
        job.progress(50)
        job.close()
    assert fake.actions() == ["progress"]


def test_when_the_job_cannot_be_failed_the_original_exception_still_propagates(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/fail", Refuse(409, "CONFLICT", "job is already failed"))
    with pytest.raises(KeyError) as caught, client.start_job() as _:
        raise KeyError("missing")
    assert any("could not be marked failed" in note for note in caught.value.__notes__)


def test_a_normal_exit_reports_a_job_ended_behind_the_workers_back(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/complete", Refuse(409, "CONFLICT", "job is already failed", "status"))
    with pytest.raises(SdkError) as caught, client.start_job():
        pass
    assert caught.value.code == "CONFLICT"
