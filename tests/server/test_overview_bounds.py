"""The overview's memory and frames stay bounded: buckets, workers, and the outbox."""

from __future__ import annotations

from jobdesk.protocol import Attempt, Job, Status
from jobdesk.server.changes import Change
from jobdesk.server.outbox import Subscriber
from jobdesk.server.overview import FORGET_AFTER_S, LIVE_AFTER_S, MINUTES, Overview
from jobdesk.server.waiting import WaitingJobs

T0 = 1_800_000_000.0


def finished(job_id: str, worker: str, outcome: str, status: Status) -> Job:
    return Job(
        id=job_id,
        name=job_id,
        job_type="ocr",
        status=status,
        created_at="2026-12-02T04:00:00.000Z",
        updated_at="2026-12-02T04:00:00.000Z",
        history=[
            Attempt(number=1, worker=worker, started_at="2026-12-02T04:00:00.000Z", outcome=outcome)  # type: ignore[arg-type]
        ],
    )


def waiting(job_type: str, *ids: str) -> WaitingJobs:
    jobs = WaitingJobs()
    for job_id in ids:
        jobs.add(job_type, job_id, "2026-12-02T04:00:00.000Z")
    return jobs


def run_and_end(overview: Overview, job_id: str, now_s: float, ok: bool) -> None:
    running = finished(job_id, "w1", "running", Status.RUNNING)
    overview.committed([Change(1, job_id, running)], now_s)
    outcome, status = ("completed", Status.COMPLETED) if ok else ("failed", Status.FAILED)
    overview.committed([Change(2, job_id, finished(job_id, "w1", outcome, status))], now_s)


def test_an_attempt_counts_once_and_the_hour_moves_on() -> None:
    overview = Overview()
    overview.claim_started("w1", ["ocr"], T0)
    overview.claim_ended("w1", T0)
    run_and_end(overview, "a", T0, ok=True)
    run_and_end(overview, "b", T0 + 1, ok=False)
    done = finished("a", "w1", "completed", Status.COMPLETED)
    overview.committed([Change(3, "a", done)], T0 + 2)  # a later change of a done job
    (worker,) = overview.build(WaitingJobs(), T0 + 3).workers
    assert (worker.done_last_hour, worker.failed_last_hour, worker.live) == (1, 1, True)
    later = overview.build(WaitingJobs(), T0 + LIVE_AFTER_S + 10)
    assert not later.workers[0].live
    assert [t.served for t in later.job_types] == []
    an_hour_on = overview.build(WaitingJobs(), T0 + MINUTES * 60 + 60)
    assert len(an_hour_on.minutes) == MINUTES
    assert sum(m.completed + m.failed for m in an_hour_on.minutes) == 0
    assert overview.build(WaitingJobs(), T0 + FORGET_AFTER_S + 61).workers == []


def test_a_waiting_claim_keeps_its_worker_live_and_serving() -> None:
    overview = Overview()
    overview.claim_started("w1", ["ocr"], T0)
    seen = overview.build(waiting("ocr", "job_1"), T0 + FORGET_AFTER_S * 2)
    assert seen.workers[0].live
    assert [(t.job_type, t.served) for t in seen.job_types] == [("ocr", True)]


def test_queue_depth_is_sampled_per_minute() -> None:
    overview = Overview()
    overview.sample(waiting("ocr", "a", "b"), T0)
    overview.sample(waiting("ocr", "a"), T0 + 1)
    minutes = overview.build(WaitingJobs(), T0 + 2).minutes
    assert minutes[-1].queued == {"ocr": 1}
    assert all(m.queued == {} for m in minutes[:-1])


def test_an_unsent_overview_is_replaced_not_queued() -> None:
    outbox = Subscriber(max_bytes=100)
    outbox.offer_overview("x" * 80)
    outbox.offer_overview("y" * 80)
    assert outbox.take() == "y" * 80
    assert outbox.take() is None
    assert not outbox.overflowed
