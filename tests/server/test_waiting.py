"""The waiting jobs per type: counts and the oldest, with stale heap entries kept bounded."""

from __future__ import annotations

import random

from jobdesk.server.waiting import COMPACT_SLACK, WaitingJobs


def stamp(n: int) -> str:
    return f"2026-12-04T01:{n // 60:02d}:{n % 60:02d}.000Z"


def test_the_oldest_follows_the_jobs_that_still_wait() -> None:
    jobs = WaitingJobs()
    for n in (5, 3, 9):
        jobs.add("ocr", f"job_{n}", stamp(n))
    jobs.add("render", "job_1", stamp(1))
    assert (jobs.count("ocr"), jobs.oldest_created("ocr")) == (3, stamp(3))
    jobs.discard("ocr", "job_3")
    assert (jobs.count("ocr"), jobs.oldest_created("ocr")) == (2, stamp(5))
    jobs.add("ocr", "job_5", stamp(5))  # still waiting (a retry's backoff): counted once
    assert jobs.count("ocr") == 2
    jobs.discard("render", "job_1")
    jobs.discard("render", "job_1")  # already gone: nothing happens
    assert (jobs.count("render"), jobs.oldest_created("render")) == (0, None)
    assert sorted(jobs.types()) == ["ocr"]
    assert dict(jobs.depths()) == {"ocr": 2}


def test_matches_a_scan_and_stale_entries_stay_bounded() -> None:
    rng = random.Random(16)
    jobs = WaitingJobs()
    live: dict[str, str] = {"job_keep": stamp(0)}
    jobs.add("ocr", "job_keep", stamp(0))  # an old job that waits throughout
    for n in range(1, 3000):
        job_id = f"job_{n}"
        jobs.add("ocr", job_id, stamp(n % 3600))
        live[job_id] = stamp(n % 3600)
        if rng.random() < 0.8:
            gone = rng.choice(sorted(set(live) - {"job_keep"}))
            jobs.discard("ocr", gone)
            del live[gone]
        assert jobs.oldest_created("ocr") == min(live.values())
        assert jobs.count("ocr") == len(live)
        assert len(jobs._kinds["ocr"].heap) <= 2 * len(live) + COMPACT_SLACK + 1
