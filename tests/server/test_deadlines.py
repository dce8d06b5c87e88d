"""The sweeper's heaps: running jobs by when a rule may apply, finished ones by age."""

from __future__ import annotations

import math

import msgspec

from jobdesk.protocol import Job, Status
from jobdesk.server.deadlines import COMPACT_SLACK, Deadlines

NOW = "2026-12-02T10:00:00.000Z"


def job(job_id: str, status: Status = Status.RUNNING, *, stale: bool = False) -> Job:
    return Job(
        id=job_id,
        name=job_id,
        owner="w",
        status=status,
        stale=stale,
        created_at=NOW,
        updated_at=NOW,
    )


def take(deadlines: Deadlines, now_s: float, limit: int) -> list[str]:
    taken: list[str] = []
    while len(taken) < limit and (job_id := deadlines.next_running(now_s)) is not None:
        taken.append(job_id)
    return taken


def moved(old: Job, **fields: object) -> Job:
    return msgspec.structs.replace(old, **fields)


def test_a_running_job_is_looked_at_once_then_when_its_moment_comes() -> None:
    deadlines = Deadlines()
    running = job("a")
    deadlines.update(None, running, None)
    assert take(deadlines, 0.0, 10) == ["a"]  # new: looked at at the next sweep
    assert take(deadlines, 0.0, 10) == []  # taken: not twice
    deadlines.file_running("a", 100.0)
    assert take(deadlines, 99.0, 10) == []
    deadlines.update(running, moved(running, progress=0.5), None)  # a report: no new entry
    assert take(deadlines, 100.0, 10) == ["a"]


def test_a_stale_job_that_reports_again_is_filed_earlier() -> None:
    deadlines = Deadlines()
    stale = job("a", stale=True)
    deadlines.update(None, stale, None)
    take(deadlines, 0.0, 10)
    deadlines.file_running("a", 5_000.0)  # stale: only its timeout or lease is left
    deadlines.update(stale, moved(stale, stale=False), None)
    assert take(deadlines, 1.0, 10) == ["a"]


def test_an_ended_or_removed_job_is_dropped_and_a_limit_holds() -> None:
    deadlines = Deadlines()
    jobs = [job(f"j{n}") for n in range(5)]
    for running in jobs:
        deadlines.update(None, running, None)
    deadlines.update(jobs[0], moved(jobs[0], status=Status.QUEUED), None)
    deadlines.update(jobs[1], None, None)
    assert take(deadlines, 0.0, 2) == ["j2", "j3"]
    assert take(deadlines, 0.0, 2) == ["j4"]


def test_retention_takes_the_oldest_beyond_the_count_or_past_the_age() -> None:
    deadlines = Deadlines()
    for n in range(6):
        deadlines.update(None, job(f"f{n}", Status.COMPLETED), float(n))
    assert deadlines.finished_count() == 6
    assert deadlines.take_finished(before_s=0.0, beyond=4, limit=10) == [(0.0, "f0"), (1.0, "f1")]
    assert deadlines.take_finished(before_s=3.5, beyond=100, limit=1) == [(2.0, "f2")]
    assert deadlines.take_finished(before_s=3.5, beyond=100, limit=10) == [(3.0, "f3")]
    assert deadlines.finished_count() == 2


def test_what_a_sweep_gives_back_comes_up_again_unless_the_commit_made_it_moot() -> None:
    deadlines = Deadlines()
    kept, removed = job("kept", Status.COMPLETED), job("removed", Status.COMPLETED)
    deadlines.update(None, kept, 1.0)
    deadlines.update(None, removed, 2.0)
    taken = deadlines.take_finished(before_s=10.0, beyond=0, limit=10)
    deadlines.give_back(finished=taken)  # before the commit
    deadlines.update(removed, None, None)  # the commit removed one; the other rolled back
    assert deadlines.take_finished(before_s=10.0, beyond=0, limit=10) == [(1.0, "kept")]

    running = job("r")
    deadlines.update(None, running, None)
    take(deadlines, 0.0, 10)
    deadlines.give_back(running=[(50.0, "r")])
    deadlines.update(running, moved(running, status=Status.QUEUED), None)  # lease expired
    assert take(deadlines, math.inf, 10) == []


def test_refiling_again_and_again_keeps_the_heap_bounded() -> None:
    deadlines = Deadlines()
    deadlines.update(None, job("a"), None)
    deadlines.update(None, job("b"), None)
    assert take(deadlines, 0.0, 10) == ["a", "b"]
    deadlines.file_running("b", 1e9)
    for moment in range(10 * COMPACT_SLACK, 0, -1):  # each sooner than the last
        deadlines.file_running("a", float(moment))
    assert len(deadlines._running) <= 2 * 2 + COMPACT_SLACK + 1
    assert take(deadlines, 1.0, 10) == ["a"]
    assert take(deadlines, math.inf, 10) == ["b"]
