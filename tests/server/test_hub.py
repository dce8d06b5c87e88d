"""The hub: one frame per change for plain subscribers, and for ``batch`` subscribers
one segment per commit, merged (newest state per job) while their sender is busy."""

from __future__ import annotations

import msgspec

from jobdesk.protocol import (
    Job,
    JobFilter,
    JobRemoved,
    JobStats,
    JobUpdate,
    JobUpdates,
    decode_server_message,
    encode_message,
)
from jobdesk.server.changes import Change
from jobdesk.server.frames import MAX_SEGMENT_BYTES, encode_change
from jobdesk.server.hub import Hub
from jobdesk.server.outbox import Subscriber

NOW = "2026-11-22T10:00:00.123Z"
EPOCH = "0b6f3c2e-1111-4222-8333-944455556666"


def job(job_id: str, version: int, owner: str = "w1") -> Job:
    return Job(id=job_id, name=job_id, owner=owner, version=version, created_at=NOW, updated_at=NOW)


def change(seq: int, job_id: str, version: int, owner: str = "w1") -> Change:
    return Change(seq, job_id, job(job_id, version, owner))


def drain(subscriber: Subscriber) -> list[str]:
    frames: list[str] = []
    while (frame := subscriber.take()) is not None:
        frames.append(frame)
    return frames


def batch_of(text: str | None) -> JobUpdates[Job]:
    assert isinstance(text, str)
    message = decode_server_message(text)
    assert isinstance(message, JobUpdates)
    return message


def test_a_job_update_frame_is_built_around_the_stored_json_byte_for_byte() -> None:
    update = change(7, "job_a", 3)
    built = encode_change(update, EPOCH, "canonical", NOW)
    assert update.job is not None
    expected = JobUpdate(job=update.job, seq=7, epoch=EPOCH, timestamp=NOW)
    assert built == encode_message(expected)


def test_plain_subscribers_get_one_frame_per_change_encoded_once() -> None:
    hub = Hub(EPOCH)
    first, second = Subscriber(), Subscriber()
    hub.add(first)
    hub.add(second)
    hub.publish([change(1, "job_a", 1), change(2, "job_a", 2), Change(3, "job_b", None)])
    ours, theirs = drain(first), drain(second)
    assert [type(decode_server_message(f or "")) for f in ours] == [
        JobUpdate,
        JobUpdate,
        JobRemoved,
    ]
    assert all(a is b for a, b in zip(ours, theirs, strict=True))  # the same text object


def test_a_batch_subscriber_gets_a_commit_as_one_frame_with_the_newest_state_per_job() -> None:
    hub = Hub(EPOCH)
    subscriber = Subscriber(batch=True, covered=0)
    other = Subscriber(batch=True, covered=0)
    hub.add(subscriber)
    hub.add(other)
    hub.publish([change(1, "job_a", 1), change(2, "job_b", 1), change(3, "job_a", 2)])
    (frame,) = drain(subscriber)
    (same,) = drain(other)
    assert frame is same  # joined once, sent to both
    message = batch_of(frame)
    assert (message.epoch, message.after, message.seq) == (EPOCH, 0, 3)
    assert sorted((u.job.id, u.job.version, u.seq) for u in message.updates) == [  # type: ignore[union-attr]
        ("job_a", 2, 3),
        ("job_b", 1, 2),
    ]


def test_commits_that_pile_up_while_a_send_is_in_flight_merge_into_the_next_frame() -> None:
    hub = Hub(EPOCH)
    subscriber = Subscriber(batch=True, covered=0)
    hub.add(subscriber)
    hub.publish([change(1, "job_a", 1)])
    assert batch_of(subscriber.take()).seq == 1  # taken: a send is in flight now
    hub.publish([change(2, "job_a", 2), change(3, "job_b", 1)])
    hub.publish([change(4, "job_a", 3)])
    hub.publish([Change(5, "job_b", None)])
    (merged,) = drain(subscriber)
    message = batch_of(merged)
    assert (message.after, message.seq) == (1, 5)
    states = {
        (u.job.id, u.job.version) if isinstance(u, JobUpdate) else (u.job_id, None)
        for u in message.updates
    }
    assert states == {("job_a", 3), ("job_b", None)}
    assert subscriber.queued_bytes == 0


def test_merging_leaves_the_segment_other_subscribers_share_untouched() -> None:
    hub = Hub(EPOCH)
    busy, idle = Subscriber(batch=True, covered=0), Subscriber(batch=True, covered=0)
    hub.add(busy)
    hub.add(idle)
    hub.publish([change(1, "job_a", 1)])
    assert batch_of(idle.take()).seq == 1
    hub.publish([change(2, "job_a", 2)])
    assert [u.job.version for u in batch_of(idle.take()).updates] == [2]  # type: ignore[union-attr]
    message = batch_of(busy.take())
    assert (message.after, message.seq) == (0, 2)


def test_a_filtered_batch_subscriber_is_told_the_commits_it_skipped() -> None:
    hub = Hub(EPOCH)
    mine = Subscriber(batch=True, covered=0, filter=JobFilter(owner="me"))
    hub.add(mine)
    hub.publish([change(1, "job_x", 1, owner="other")])
    assert mine.take() is None
    hub.publish([change(2, "job_m", 1, owner="me")])
    hub.publish([change(3, "job_y", 1, owner="other")])  # extends the waiting frame
    message = batch_of(mine.take())
    assert (message.after, message.seq) == (0, 3)
    assert [u.job.id for u in message.updates] == ["job_m"]  # type: ignore[union-attr]
    hub.publish([change(4, "job_z", 1, owner="other")])
    hub.publish([change(5, "job_m", 2, owner="me")])
    message = batch_of(mine.take())
    assert (message.after, message.seq) == (3, 5)


def test_stats_for_a_batch_subscriber_replace_the_unsent_ones_and_go_first() -> None:
    hub = Hub(EPOCH)
    subscriber = Subscriber(batch=True, covered=0)
    hub.add(subscriber)
    hub.publish([change(1, "job_a", 1)])
    for pending in (1, 2):
        hub.publish_stats(JobStats(pending=pending))
    first, second = drain(subscriber)
    assert msgspec.json.decode(first or "")["stats"]["pending"] == 2
    assert batch_of(second).seq == 1


def test_a_batch_subscriber_holds_at_most_one_entry_per_job_however_far_behind() -> None:
    hub = Hub(EPOCH)
    subscriber = Subscriber(batch=True, covered=0)
    hub.add(subscriber)
    hub.publish([change(1, "job_a", 1)])
    subscriber.take()
    for seq in range(2, 30_000):
        hub.publish([change(seq, f"job_{seq % 10}", seq)])
    assert not subscriber.overflowed
    frame = subscriber.take()
    assert subscriber.queued_bytes == 0
    assert len(batch_of(frame).updates) == 10


def test_a_commit_bigger_than_a_frame_goes_out_as_several_chained_frames() -> None:
    hub = Hub(EPOCH)
    subscriber = Subscriber(batch=True, covered=0, max_bytes=64 * MAX_SEGMENT_BYTES)
    hub.add(subscriber)
    big = "x" * 100_000
    commit = [
        Change(seq, f"job_{seq}", msgspec.structs.replace(job(f"job_{seq}", 1), message=big))
        for seq in range(1, 31)
    ]
    hub.publish(commit)
    frames = [batch_of(f) for f in drain(subscriber)]
    assert len(frames) > 1
    assert all(len(f.updates) < 30 for f in frames)
    assert frames[0].after == 0
    assert [f.after for f in frames[1:]] == [f.seq for f in frames[:-1]]
    assert frames[-1].seq == 30
    ids = [u.job.id for f in frames for u in f.updates]  # type: ignore[union-attr]
    assert ids == [f"job_{seq}" for seq in range(1, 31)]


def test_a_subscriber_over_its_byte_budget_lets_go_and_is_told_once() -> None:
    hub = Hub(EPOCH)
    told: list[str] = []
    subscriber = Subscriber(max_bytes=50_000)
    subscriber.on_overflow = lambda: told.append("overflow")
    hub.add(subscriber)
    big = "x" * 20_000
    for seq in range(1, 10):
        hub.publish([Change(seq, "job_a", msgspec.structs.replace(job("job_a", seq), message=big))])
    assert subscriber.overflowed
    assert told == ["overflow"]
    assert subscriber.queued_bytes == 0
    assert drain(subscriber) == []


def test_one_frame_bigger_than_the_budget_still_goes_to_a_reader() -> None:
    subscriber = Subscriber(max_bytes=1_000)
    subscriber.put("y" * 5_000)
    assert not subscriber.overflowed
    assert drain(subscriber) == ["y" * 5_000]


def test_replies_count_against_the_budget_too() -> None:
    subscriber = Subscriber(max_bytes=1_000)
    for _ in range(20):
        subscriber.put('{"type":"pong"}' * 10)
    assert subscriber.overflowed
