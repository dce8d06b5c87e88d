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
from jobdesk.server.hub import (
    EMPTY,
    MAX_QUEUED_FRAMES,
    REPLAY_CHUNK,
    Empty,
    Hub,
    Subscriber,
    encode_change,
)

NOW = "2026-11-22T10:00:00.123Z"
EPOCH = "0b6f3c2e-1111-4222-8333-944455556666"


def job(job_id: str, version: int, owner: str = "w1") -> Job:
    return Job(id=job_id, name=job_id, owner=owner, version=version, created_at=NOW, updated_at=NOW)


def change(seq: int, job_id: str, version: int, owner: str = "w1") -> Change:
    return Change(seq, job_id, job(job_id, version, owner))


def drain(subscriber: Subscriber) -> list[str | None]:
    frames: list[str | None] = []
    while not isinstance(frame := subscriber.take(), Empty):
        frames.append(frame)
    return frames


def batch_of(text: str | Empty | None) -> JobUpdates[Job]:
    assert isinstance(text, str)
    message = decode_server_message(text)
    assert isinstance(message, JobUpdates)
    return message


def test_a_subscriber_too_far_behind_is_cut_off_once() -> None:
    subscriber = Subscriber()
    for _ in range(MAX_QUEUED_FRAMES + 5):
        subscriber.offer("frame")
    assert subscriber.overflowed
    frames = drain(subscriber)
    assert len(frames) == MAX_QUEUED_FRAMES + 1
    assert frames[-1] is None
    assert frames.count(None) == 1


def test_a_long_replay_does_not_count_as_falling_behind() -> None:
    subscriber = Subscriber()
    subscriber.queue_replay(["old"] * (MAX_QUEUED_FRAMES * 2))
    subscriber.offer("live")
    assert not subscriber.overflowed
    assert subscriber.qsize() == MAX_QUEUED_FRAMES * 2 + 1


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
    assert subscriber.pending == 0


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
    assert mine.take() is EMPTY
    hub.publish([change(2, "job_m", 1, owner="me")])
    hub.publish([change(3, "job_y", 1, owner="other")])  # extends the waiting frame
    message = batch_of(mine.take())
    assert (message.after, message.seq) == (0, 3)
    assert [u.job.id for u in message.updates] == ["job_m"]  # type: ignore[union-attr]
    hub.publish([change(4, "job_z", 1, owner="other")])
    hub.publish([change(5, "job_m", 2, owner="me")])
    message = batch_of(mine.take())
    assert (message.after, message.seq) == (3, 5)


def test_a_replay_for_a_batch_subscriber_comes_in_chunks_ending_at_the_seq_it_was_told() -> None:
    hub = Hub(EPOCH)
    subscriber = Subscriber(batch=True)
    changes = [change(seq, f"job_{seq}", 1) for seq in range(11, 11 + REPLAY_CHUNK + 5)]
    segments = hub.replay_segments(changes, subscriber, since=10, seq=2000)
    subscriber.queue_replay_segments(segments)
    first, second = (batch_of(f) for f in drain(subscriber))
    assert (first.after, len(first.updates)) == (10, REPLAY_CHUNK)
    assert (second.after, second.seq, len(second.updates)) == (first.seq, 2000, 5)
    assert subscriber.covered == 2000


def test_an_empty_replay_still_says_how_far_it_goes() -> None:
    hub = Hub(EPOCH)
    subscriber = Subscriber(batch=True, filter=JobFilter(owner="nobody"))
    (segment,) = hub.replay_segments([change(5, "job_a", 1)], subscriber, since=4, seq=5)
    assert (segment.after, segment.seq, segment.frames) == (4, 5, {})


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
    for seq in range(2, 2 + MAX_QUEUED_FRAMES * 3):
        hub.publish([change(seq, f"job_{seq % 10}", seq)])
    assert not subscriber.overflowed
    assert subscriber.pending == 10
    assert len(batch_of(subscriber.take()).updates) == 10
