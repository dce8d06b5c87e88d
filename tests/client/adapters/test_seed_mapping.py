"""The seed mappings as data: scales, field names, times made up once, unknown words."""

from __future__ import annotations

import itertools

from jobdesk.client.sources.admin_mapping import admin_job, with_progress
from jobdesk.client.sources.jobs_mapping import forgotten, polled_job
from jobdesk.client.sources.seed_mapping import FirstSeen, percent, summary_of, timestamp
from jobdesk.protocol.status import Status


def clock() -> FirstSeen:
    ticks = itertools.count(1_800_000_000)
    return FirstSeen(lambda: float(next(ticks)))


def test_scales_clamp_and_times_read_either_way() -> None:
    assert (percent(0.5, 1.0), percent(45, 100.0), percent(1.5, 1.0)) == (50.0, 45.0, 100.0)
    assert (percent(None, 1.0), percent(True, 1.0), percent(float("nan"), 1.0)) == (0, 0, 0)
    assert timestamp("2026-12-02T05:00:00+00:00") == "2026-12-02T05:00:00.000Z"
    assert timestamp(1_764_651_600_000) == "2025-12-02T05:00:00.000Z"
    assert timestamp("yesterday") is None


def test_an_openvaa_style_admin_job_is_read() -> None:
    raw = {
        "id": "j1",
        "feature": "argument-condensation",
        "author": "admin@example.com",
        "status": "running",
        "progress": 0.3,
        "startTime": 1_764_651_600_000,
        "lastActivityTime": 1_764_651_660_000,
        "messages": [{"type": "warning", "message": "Low confidence", "timestamp": None}],
    }
    job = admin_job(raw, clock())
    assert job is not None
    assert (job.job_type, job.owner, job.progress) == (
        "argument-condensation",
        "admin@example.com",
        30.0,
    )
    assert (job.created_at, job.updated_at) == (
        "2025-12-02T05:00:00.000Z",
        "2025-12-02T05:01:00.000Z",
    )
    assert [(m.level, m.text, m.timestamp) for m in job.messages] == [
        ("warning", "Low confidence", job.updated_at)
    ]
    assert admin_job({**raw, "status": "exploded"}, clock()) is None
    done = with_progress(
        job, {"status": "completed", "progress": 1, "timestamp": "2026-01-01T00:00:00Z"}
    )
    assert (done.status, done.progress, done.finished_at) == (
        Status.COMPLETED,
        100.0,
        "2026-01-01T00:00:00.000Z",
    )
    assert done.messages == job.messages  # the progress endpoint sent none


def test_a_pending_admin_job_has_not_started_and_made_up_times_stay() -> None:
    seen = clock()
    first = admin_job({"id": "j2", "status": "pending"}, seen)
    again = admin_job({"id": "j2", "status": "pending"}, seen)
    assert first is not None
    assert again is not None
    assert first.started_at is None
    assert summary_of(first) == summary_of(again)


def test_a_seed_002_job_keeps_its_first_times() -> None:
    seen = clock()
    queued = polled_job(
        "a",
        {"status": "queued", "message": "Upload queued", "timestamp": "2026-01-01T00:00:00Z"},
        None,
        seen,
    )
    assert queued is not None
    assert (queued.started_at, queued.finished_at) == (None, None)
    running = polled_job(
        "a",
        {
            "status": "processing",
            "progress": 45,
            "message": "x",
            "timestamp": "2026-01-01T00:00:05Z",
        },
        queued,
        seen,
    )
    assert running is not None
    assert (running.created_at, running.started_at) == (
        queued.created_at,
        "2026-01-01T00:00:05.000Z",
    )
    failed = polled_job(
        "a",
        {
            "status": "error",
            "message": "Processing failed",
            "error": "Invalid file format",
            "timestamp": "2026-01-01T00:00:09Z",
        },
        running,
        seen,
    )
    assert failed is not None
    assert (failed.status, failed.progress, failed.error) == (
        Status.FAILED,
        45.0,
        "Invalid file format",
    )
    assert failed.finished_at == "2026-01-01T00:00:09.000Z"
    gone = forgotten(failed)
    assert (gone.status, gone.message, gone.stale) == (
        Status.FAILED,
        "expired: Processing failed",
        False,
    )
    assert forgotten(running).stale
