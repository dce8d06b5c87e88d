"""Seed 004's payloads merged into one job, as data: order, scale, words, what each adds."""

from __future__ import annotations

from jobdesk.client.sources.socketio_mapping import Seen, job_id_of
from jobdesk.protocol import Status

T1, T2, T3 = "2026-11-22T10:00:01.000Z", "2026-11-22T10:00:02.000Z", "2026-11-22T10:00:03.000Z"


def test_progress_then_completion_in_any_seed_words() -> None:
    seen = Seen("j1", owner="u1")
    assert seen.merge({"status": "processing", "progress": 40, "message": "half", "timestamp": T1})
    assert (seen.status, seen.progress, seen.message) == (Status.RUNNING, 40.0, "half")
    assert seen.merge({"status": "COMPLETE", "result": {"n": 1}, "timestamp": T2})
    summary = seen.summary()
    assert (summary.status, summary.progress, summary.message) == (Status.COMPLETED, 100.0, "half")
    assert (summary.created_at, summary.updated_at, summary.finished_at) == (T1, T2, T2)
    assert (summary.id, summary.name, summary.owner) == ("j1", "j1", "u1")
    assert seen.job().result == {"n": 1}


def test_an_older_payload_never_steps_the_job_back() -> None:
    seen = Seen("j1")
    seen.merge({"status": "running", "progress": 70, "message": "late", "timestamp": T2})
    assert not seen.merge(
        {"status": "running", "progress": 20, "message": "early", "timestamp": T1}
    )
    assert (seen.progress, seen.message) == (70.0, "late")
    assert seen.merge({"status": "running", "progress": 70, "message": "late", "timestamp": T2})


def test_an_error_event_fails_the_job_whatever_its_word_and_a_retry_clears_it() -> None:
    seen = Seen("j1")
    seen.merge({"status": "running", "progress": 30, "timestamp": T1})
    seen.merge(
        {"status": "oops", "error": "Invalid file format", "timestamp": T2}, final=Status.FAILED
    )
    assert (seen.status, seen.error, seen.progress) == (Status.FAILED, "Invalid file format", 30.0)
    seen.merge({"status": "queued", "progress": 0, "message": "again", "timestamp": T3})
    assert (seen.status, seen.error, seen.finished_at) == (Status.QUEUED, None, None)
    assert [(m.level, m.text) for m in seen.job().messages] == [
        ("error", "Invalid file format"),
        ("info", "again"),
    ]


def test_progress_is_kept_within_0_to_100_and_seed_002s_document_is_the_result() -> None:
    seen = Seen("j1")
    seen.merge({"status": "processing", "progress": 140, "timestamp": T1})
    assert seen.progress == 100.0
    seen.merge({"status": "completed", "documentId": "doc_1", "timestamp": T2})
    assert seen.result == {"documentId": "doc_1"}


def test_the_job_id_is_read_by_the_configured_key() -> None:
    assert job_id_of({"jobId": "j1"}, "jobId") == "j1"
    assert job_id_of({"id": 7}, "id") == "7"
    assert job_id_of({"jobId": ""}, "jobId") is None
    assert job_id_of(["j1"], "jobId") is None
