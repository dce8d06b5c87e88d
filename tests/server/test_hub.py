"""The hub cuts off a subscriber that falls behind, but not for a long replay."""

from __future__ import annotations

from jobdesk.server.hub import MAX_QUEUED_FRAMES, Subscriber


def test_a_subscriber_too_far_behind_is_cut_off_once() -> None:
    subscriber = Subscriber()
    for _ in range(MAX_QUEUED_FRAMES + 5):
        subscriber.offer(b"frame")
    assert subscriber.overflowed
    assert subscriber.queue.qsize() == MAX_QUEUED_FRAMES + 1
    frames = [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]
    assert frames[-1] is None
    assert frames.count(None) == 1


def test_a_long_replay_does_not_count_as_falling_behind() -> None:
    subscriber = Subscriber()
    subscriber.queue_replay([b"old"] * (MAX_QUEUED_FRAMES * 2))
    subscriber.offer(b"live")
    assert not subscriber.overflowed
    assert subscriber.queue.qsize() == MAX_QUEUED_FRAMES * 2 + 1
