"""The change feed: each job's newest seq, readable from any seq, safe to read while
changes are recorded."""

from __future__ import annotations

import random

import pytest

from jobdesk.server.feed import Feed


def test_each_job_is_read_once_at_its_newest_seq_in_seq_order() -> None:
    feed = Feed([(3, "b"), (1, "a")])
    feed.record(4, "a")
    feed.record(5, "c")
    assert list(feed.after(0)) == [(3, "b"), (4, "a"), (5, "c")]
    assert list(feed.after(3)) == [(4, "a"), (5, "c")]
    assert list(feed.after(0, until=4)) == [(3, "b"), (4, "a")]
    assert len(feed) == 3


def test_reading_while_changes_are_recorded_and_the_list_is_rebuilt() -> None:
    feed = Feed()
    for seq in range(1, 11):
        feed.record(seq, f"j{seq}")
    seen = []
    reader = feed.after(0)
    seen.append(next(reader))
    seq = 11
    for _ in range(50):  # j1..j10 change again and again: the list is rebuilt meanwhile
        for n in range(2, 11):
            feed.record(seq, f"j{n}")
            seq += 1
    seen.extend(reader)
    assert seen[0] == (1, "j1")
    assert sorted(job for _, job in seen[1:]) == sorted(f"j{n}" for n in range(2, 11))
    assert [s for s, _ in seen] == sorted(s for s, _ in seen)


def test_forgotten_entries_are_not_read() -> None:
    feed = Feed([(1, "a"), (2, "b")])
    feed.forget(["a", "nobody"])
    assert list(feed.after(0)) == [(2, "b")]


def test_a_seq_that_does_not_grow_is_refused() -> None:
    feed = Feed([(5, "a")])
    with pytest.raises(ValueError, match="not after"):
        feed.record(5, "b")


def test_random_changes_read_as_the_plain_sort_they_stand_for() -> None:
    """Updates, removals and history pruning, enough to rebuild the list many times."""
    rng = random.Random(5)
    feed = Feed()
    newest: dict[str, int] = {}  # job id -> the seq of its last update
    removed: dict[str, int] = {}  # job id -> the seq of its removal
    floor = 0
    live = [f"job_{n:05d}" for n in range(300)]
    for seq in range(1, 40_000):
        job_id = rng.choice(live)  # a removed job's id never comes back
        if rng.random() < 0.05 and job_id in newest:
            del newest[job_id]
            removed[job_id] = seq
            live[live.index(job_id)] = f"job_{seq + 1000:05d}"
        else:
            newest[job_id] = seq
        feed.record(seq, job_id)
        if seq % 9_000 == 0:
            floor = seq - 4_000
            gone = [j for j, s in removed.items() if s <= floor]
            feed.forget(gone)
            for j in gone:
                del removed[j]
        if seq % 997 == 0:
            since = rng.randrange(floor, seq)
            wanted = sorted((s, j) for j, s in [*newest.items(), *removed.items()] if s > since)
            assert list(feed.after(since)) == wanted
    assert len(feed) == len(newest) + len(removed)
