"""JobReporter: percent on the API, fractions on the wire, coalescing, order, delivery."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterator

import httpx
import pytest

from jobdesk.sdk import UNAVAILABLE, JobdeskClient, SdkError
from jobdesk.sdk.calls import MAX_TEXT
from tests.sdk.conftest import INTERVAL
from tests.sdk.fakes import JOB_ID, Drop, FakeServer, Refuse


def test_percent_is_sent_as_a_fraction(fake: FakeServer, client: JobdeskClient) -> None:
    job = client.reporter(JOB_ID)
    job.progress(25, "a quarter")
    job.flush()
    job.sub_operation("data-loading", 50)
    job.flush()
    assert fake.writes() == [
        ("progress", {"progress": 0.25, "message": "a quarter", "subOperation": None,
                      "pipeline": None}),
        ("progress", {"progress": 0.5, "message": None, "subOperation": "data-loading",
                      "pipeline": None}),
    ]  # fmt: skip


@pytest.mark.parametrize("percent", [-0.1, 100.5, math.nan, math.inf])
def test_a_percent_outside_0_to_100_raises_at_the_call(
    fake: FakeServer, client: JobdeskClient, percent: float
) -> None:
    job = client.reporter(JOB_ID)
    with pytest.raises(ValueError, match="between 0 and 100"):
        job.progress(percent)
    with pytest.raises(ValueError, match="between 0 and 100"):
        job.sub_operation("s", percent)
    job.flush()
    assert fake.writes() == []


def test_a_hundred_thousand_progress_calls_send_few_requests_and_the_last_value(
    fake: FakeServer, client: JobdeskClient
) -> None:
    job = client.reporter(JOB_ID)
    started = time.monotonic()
    for step in range(100_000):
        job.progress(step / 1000)
    elapsed = time.monotonic() - started
    job.flush()
    sent = fake.writes()
    assert 1 <= len(sent) <= 2 + elapsed / INTERVAL
    assert sent[-1][1]["progress"] == pytest.approx(0.99999)


def test_a_single_progress_arrives_without_flush_or_close(
    fake: FakeServer, client: JobdeskClient
) -> None:
    job = client.reporter(JOB_ID)
    job.progress(42)
    fake.wait_for(lambda: len(fake.writes()) == 1)
    assert fake.writes()[0][1]["progress"] == pytest.approx(0.42)


def test_log_entries_keep_their_place_among_progress(fake: FakeServer) -> None:
    # A long interval: progress goes out only when a log entry or flush pushes it, so
    # the coalescing of 20 into 30 does not hang on how fast this thread runs.
    slow = JobdeskClient(
        "http://jobdesk.test", "jd_secret", transport=fake.transport(), flush_interval=60
    )
    with slow as client:
        _report_in_order(client, fake)
    sent = [(a, b.get("progress", b.get("text"))) for a, b in fake.writes()]
    assert sent == [
        ("progress", 0.1),
        ("message", "Processing question 1"),
        ("progress", 0.3),
        ("message", "Low confidence in answer"),
        ("message", "API rate limit exceeded"),
        ("progress", 0.4),
    ]
    levels = [b["level"] for a, b in fake.writes() if a == "message"]
    assert levels == ["info", "warning", "error"]


def _report_in_order(client: JobdeskClient, fake: FakeServer) -> None:
    job = client.reporter(JOB_ID)
    fake.gate.clear()  # the first report goes at once; the rest queue while it is in flight
    job.progress(10)
    fake.wait_for(lambda: fake.in_flight == 1)
    job.info("Processing question 1")
    job.progress(20)
    job.progress(30)
    job.warning("Low confidence in answer")
    job.error("API rate limit exceeded")
    job.progress(40)
    fake.gate.set()
    job.flush()


def test_a_log_entry_is_sent_without_waiting_for_the_interval(
    fake: FakeServer, fake_slow: JobdeskClient
) -> None:
    job = fake_slow.reporter(JOB_ID)
    job.info("now")
    fake.wait_for(lambda: fake.actions() == ["message"], timeout=30)


@pytest.fixture
def fake_slow(fake: FakeServer) -> Iterator[JobdeskClient]:
    """A client whose progress would wait an hour: what is sent sooner is an event."""
    with JobdeskClient("http://t", "k", transport=fake.transport(), flush_interval=3600) as c:
        yield c


def test_pipeline_declares_weighted_sub_operations(fake: FakeServer, client: JobdeskClient) -> None:
    job = client.reporter(JOB_ID)
    job.pipeline({"data-loading": 1, "question-processing": 3})
    job.pipeline([("a", 0.5), ("b", 2)])
    job.flush()
    declared = [b["pipeline"] for _, b in fake.writes()]
    assert declared == [
        [{"name": "data-loading", "weight": 1.0}, {"name": "question-processing", "weight": 3.0}],
        [{"name": "a", "weight": 0.5}, {"name": "b", "weight": 2.0}],
    ]


@pytest.mark.parametrize(
    "steps",
    [{}, {"a": 0}, {"a": -1}, [("a", 1), ("a", 2)], {"": 1}, {"x" * 201: 1}],
)
def test_a_bad_pipeline_raises_at_the_call(client: JobdeskClient, steps: object) -> None:
    with pytest.raises(ValueError, match=r"pipeline|weight|name"):
        client.reporter(JOB_ID).pipeline(steps)  # type: ignore[arg-type]


def test_sub_operations_fold_per_name_and_the_status_line_rides_last(
    fake: FakeServer, fake_slow: JobdeskClient
) -> None:
    job = fake_slow.reporter(JOB_ID)
    fake.gate.clear()  # the first report goes at once; what follows folds meanwhile
    job.progress(1)
    fake.wait_for(lambda: fake.in_flight == 1)
    job.sub_operation("a", 10, "loading")
    job.sub_operation("b", 20)
    job.sub_operation("a", 30)
    fake.gate.set()
    job.flush()
    assert [(b["subOperation"], b["progress"], b["message"]) for _, b in fake.writes()][1:] == [
        ("b", 0.2, None),
        ("a", 0.3, "loading"),
    ]


def test_long_texts_are_clipped_to_the_protocol_limit(
    fake: FakeServer, client: JobdeskClient
) -> None:
    job = client.reporter(JOB_ID)
    job.info("x" * (MAX_TEXT * 2))
    job.flush()
    text = fake.writes()[0][1]["text"]
    assert len(text) == MAX_TEXT
    assert text.endswith("…")


def test_a_refusal_stops_delivery_and_surfaces_on_flush_and_complete(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.script("/progress", Refuse(409, "CONFLICT", "job is already failed", "status"))
    job = client.reporter(JOB_ID)
    job.progress(5)
    fake.wait_for(lambda: job.delivery_error is not None)
    assert job.delivery_error is not None
    assert job.delivery_error.code == "CONFLICT"
    job.progress(6)
    job.info("dropped")
    with pytest.raises(SdkError, match="CONFLICT"):
        job.flush()
    with pytest.raises(SdkError, match="CONFLICT"):
        job.complete()
    assert fake.writes() == []
    assert len(fake.attempts) == 1


def test_flush_reports_an_outage_and_delivery_resumes_after_it(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.down = True  # a first report goes at once: the outage may meet it before flush
    job = client.reporter(JOB_ID)
    job.progress(70)
    with pytest.raises(SdkError) as caught:
        job.flush()
    assert caught.value.code == UNAVAILABLE
    assert fake.writes() == []
    fake.down = False
    job.flush()
    assert [b["progress"] for _, b in fake.writes()] == [0.7]


def test_close_delivers_and_stops_the_sender(fake: FakeServer, client: JobdeskClient) -> None:
    job = client.reporter(JOB_ID)
    job.progress(12)
    job.close()
    assert [b["progress"] for _, b in fake.writes()] == [0.12]
    with pytest.raises(RuntimeError, match="closed"):
        job.progress(13)


def test_closing_the_client_delivers_what_open_reporters_hold(fake: FakeServer) -> None:
    with JobdeskClient("http://t", "k", transport=fake.transport(), flush_interval=3600) as c:
        c.reporter(JOB_ID).progress(99)
    assert [b["progress"] for _, b in fake.writes()] == [0.99]


def test_complete_sends_result_and_message_after_everything_pending(
    fake: FakeServer, fake_slow: JobdeskClient
) -> None:
    job = fake_slow.reporter(JOB_ID)
    job.progress(90)
    job.complete({"documentId": "doc_123"}, "Document processed successfully")
    assert fake.writes() == [
        ("progress", {"progress": 0.9, "message": None, "subOperation": None, "pipeline": None}),
        ("complete", {"result": {"documentId": "doc_123"},
                      "message": "Document processed successfully"}),
    ]  # fmt: skip
    with pytest.raises(SdkError, match="already completed"):
        job.progress(91)


def test_a_complete_whose_answer_was_lost_counts_once_the_job_shows_completed(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.known_jobs[0]["status"] = "completed"
    fake.script(
        "/complete", Drop(after_commit=True, error=httpx.ReadError), Refuse(409, "CONFLICT")
    )
    job = client.reporter(JOB_ID)
    job.complete()
    assert job.finished is not None
    assert job.finished.value == "completed"


def test_a_conflict_on_the_first_attempt_is_not_taken_for_success(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.known_jobs[0]["status"] = "failed"
    fake.script("/complete", Refuse(409, "CONFLICT", "job is already failed"))
    job = client.reporter(JOB_ID)
    with pytest.raises(SdkError, match="already failed"):
        job.complete()
    assert job.finished is None
    assert [r.method for r in fake.attempts] == ["POST"]


def test_a_failed_close_stops_the_sender_and_later_flushes_say_why(
    fake: FakeServer, client: JobdeskClient
) -> None:
    fake.down = True
    job = client.reporter(JOB_ID)
    job.progress(1)
    with pytest.raises(SdkError, match=UNAVAILABLE):
        job.close()
    attempts = len(fake.attempts)
    with pytest.raises(SdkError, match=UNAVAILABLE):
        job.flush()
    assert len(fake.attempts) == attempts


def test_threads_reporting_at_once_each_get_their_last_value_through(
    fake: FakeServer, client: JobdeskClient
) -> None:
    job = client.reporter(JOB_ID)

    def report(name: str) -> None:
        for step in range(5_001):
            job.sub_operation(name, step / 50)

    threads = [threading.Thread(target=report, args=(f"part-{n}",)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    job.flush()
    last: dict[str, float] = {}
    for _, body in fake.writes():
        last[body["subOperation"]] = body["progress"]
    assert last == {f"part-{n}": 1.0 for n in range(4)}
