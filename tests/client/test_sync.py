"""StreamSync: the stream's rules, checked as data (no sockets)."""

from __future__ import annotations

from jobdesk.client.sync import Next, StreamSync
from jobdesk.core.store import JobStore
from jobdesk.protocol import (
    Heartbeat,
    JobRemoved,
    JobsSubscribed,
    JobSummary,
    JobUpdate,
    JobUpdates,
    SubscribeJobs,
)
from jobdesk.protocol.rest import Snapshot

NOW = "2026-11-22T10:00:00.000Z"
EPOCH = "e1"


def job(job_id: str, version: int) -> JobSummary:
    return JobSummary(id=job_id, name=job_id, version=version, created_at=NOW, updated_at=NOW)


def update(job_id: str, version: int, seq: int, epoch: str = EPOCH) -> JobUpdate[JobSummary]:
    return JobUpdate(job=job(job_id, version), seq=seq, epoch=epoch, timestamp=NOW)


def beat(seq: int, epoch: str = EPOCH) -> Heartbeat:
    return Heartbeat(seq=seq, epoch=epoch, timestamp=NOW)


def subscribed(mode: str, seq: int, epoch: str = EPOCH) -> JobsSubscribed:
    return JobsSubscribed(mode=mode, seq=seq, epoch=epoch)  # type: ignore[arg-type]


def loaded(seq: int = 2) -> tuple[JobStore, StreamSync]:
    """A store holding j1 v1 and j2 v1 at ``seq``, and a sync subscribed live on it."""
    store = JobStore()
    store.apply("s", epoch=EPOCH, jobs=[job("j1", 1), job("j2", 1)], seq=seq, replace=True)
    sync = StreamSync(store, "s", wall=lambda: 100.0)
    assert sync.subscribe_request() == SubscribeJobs(since=seq, epoch=EPOCH, batch=True)
    assert sync.on_subscribed(subscribed("replay", seq)) is Next.NOTHING
    assert sync.synced
    return store, sync


def test_first_subscription_takes_a_snapshot_and_applies_what_came_meanwhile() -> None:
    store = JobStore()
    sync = StreamSync(store, "s", wall=lambda: 1.0)
    assert sync.subscribe_request() == SubscribeJobs(batch=True)
    assert sync.on_subscribed(subscribed("live", 5)) is Next.SNAPSHOT
    assert sync.on_event(update("j1", 2, seq=6)) is Next.NOTHING  # held
    assert sync.on_event(update("j2", 1, seq=7)) is Next.NOTHING  # held
    snapshot = Snapshot(epoch=EPOCH, seq=6, jobs=[job("j1", 2)])
    assert sync.on_snapshot(snapshot) is Next.NOTHING
    view = store.server("s")
    assert sync.synced
    assert (view.seq, sorted(view.jobs)) == (7, ["j1", "j2"])
    assert view.confirmed_at == 1.0


def test_contiguous_events_move_seq_and_duplicates_are_harmless() -> None:
    store, sync = loaded()
    assert sync.on_event(update("j1", 2, seq=3)) is Next.NOTHING
    assert sync.on_event(update("j1", 2, seq=3)) is Next.NOTHING
    assert sync.on_event(JobRemoved(job_id="j2", seq=4, epoch=EPOCH, timestamp=NOW)) is Next.NOTHING
    view = store.server("s")
    assert (view.seq, view.jobs["j1"].version, "j2" in view.jobs) == (4, 2, False)


def test_a_gap_asks_to_subscribe_again_since_the_last_sure_seq() -> None:
    store, sync = loaded()
    assert sync.on_event(update("j1", 5, seq=9)) is Next.RESUBSCRIBE
    assert store.server("s").seq == 2  # not moved past the gap
    assert store.server("s").jobs["j1"].version == 5  # applied by version: harmless
    assert sync.subscribe_request() == SubscribeJobs(since=2, epoch=EPOCH, batch=True)
    # frames still in flight from before the new subscribe do not trigger another one
    assert sync.on_event(update("j2", 3, seq=11)) is Next.NOTHING
    assert sync.on_heartbeat(beat(11)) is Next.NOTHING
    assert sync.on_subscribed(subscribed("replay", 11)) is Next.NOTHING
    assert not sync.synced
    assert sync.on_event(update("j1", 5, seq=9)) is Next.NOTHING
    assert sync.on_event(update("j2", 3, seq=11)) is Next.NOTHING
    assert sync.synced
    assert store.server("s").seq == 11


def test_replay_skips_seqs_and_moves_seq_only_when_complete() -> None:
    store, sync = loaded(seq=2)
    sync.subscribe_request()
    assert sync.on_subscribed(subscribed("replay", 10)) is Next.NOTHING
    sync.on_event(update("j2", 4, seq=6))
    assert store.server("s").seq == 2  # a disconnect now replays it all again
    assert not sync.synced
    sync.on_event(update("j1", 3, seq=10))
    assert (store.server("s").seq, sync.synced) == (10, True)
    assert sync.on_event(update("j1", 4, seq=11)) is Next.NOTHING
    assert store.server("s").seq == 11


def test_a_heartbeat_after_a_replay_completes_it() -> None:
    store, sync = loaded(seq=2)
    sync.subscribe_request()
    sync.on_subscribed(subscribed("replay", 4))
    sync.on_event(update("j1", 2, seq=3))
    assert sync.on_heartbeat(beat(4)) is Next.NOTHING
    assert (store.server("s").seq, sync.synced) == (4, True)


def test_a_heartbeat_ahead_of_us_reveals_a_lost_event() -> None:
    store, sync = loaded(seq=2)
    assert sync.on_heartbeat(beat(2)) is Next.NOTHING
    assert store.server("s").confirmed_at == 100.0
    assert sync.on_heartbeat(beat(3)) is Next.RESUBSCRIBE


def test_another_epoch_means_a_snapshot_that_replaces_everything() -> None:
    store, sync = loaded()
    assert sync.on_event(update("x", 1, seq=1, epoch="e2")) is Next.SNAPSHOT
    assert not sync.synced
    sync.on_snapshot(Snapshot(epoch="e2", seq=1, jobs=[job("x", 1)]))
    view = store.server("s")
    assert (view.epoch, view.seq, sorted(view.jobs)) == ("e2", 1, ["x"])


def test_a_since_the_server_cannot_serve_falls_back_to_a_snapshot() -> None:
    store, sync = loaded()
    sync.subscribe_request()
    assert sync.on_subscribed(subscribed("snapshot", 50)) is Next.SNAPSHOT
    sync.on_snapshot(Snapshot(epoch=EPOCH, seq=50, jobs=[job("j1", 9)]))
    assert sorted(store.server("s").jobs) == ["j1"]  # j2 vanished meanwhile


def batch(
    after: int, seq: int, *events: JobUpdate[JobSummary] | JobRemoved, epoch: str = EPOCH
) -> JobUpdates[JobSummary]:
    return JobUpdates(epoch=epoch, after=after, seq=seq, updates=list(events))


def test_a_batch_following_our_seq_is_applied_whole_and_moves_seq_to_its_end() -> None:
    store, sync = loaded(seq=2)
    gone = JobRemoved(job_id="j2", seq=5, epoch=EPOCH, timestamp=NOW)
    assert sync.on_batch(batch(2, 5, update("j1", 3, seq=4), gone)) is Next.NOTHING
    view = store.server("s")
    assert (view.seq, view.jobs["j1"].version, "j2" in view.jobs) == (5, 3, False)
    assert sync.on_batch(batch(2, 5, update("j1", 3, seq=4))) is Next.NOTHING  # old news


def test_a_batch_past_our_seq_means_lost_events() -> None:
    store, sync = loaded(seq=2)
    assert sync.on_batch(batch(4, 6, update("j1", 7, seq=6))) is Next.RESUBSCRIBE
    assert store.server("s").seq == 2
    assert store.server("s").jobs["j1"].version == 7  # applied by version: harmless


def test_a_replay_in_batches_completes_at_the_replays_seq() -> None:
    store, sync = loaded(seq=2)
    sync.subscribe_request()
    assert sync.on_subscribed(subscribed("replay", 9)) is Next.NOTHING
    sync.on_batch(batch(2, 6, update("j1", 2, seq=6)))
    assert (store.server("s").seq, sync.synced) == (2, False)
    sync.on_batch(batch(6, 9, update("j2", 4, seq=9)))
    assert (store.server("s").seq, sync.synced) == (9, True)
    assert sync.on_batch(batch(9, 10, update("j2", 5, seq=10))) is Next.NOTHING
    assert store.server("s").seq == 10


def test_batches_during_a_snapshot_are_held_and_applied_after_it() -> None:
    store = JobStore()
    sync = StreamSync(store, "s", wall=lambda: 1.0)
    sync.subscribe_request()
    assert sync.on_subscribed(subscribed("live", 5)) is Next.SNAPSHOT
    assert sync.on_batch(batch(5, 7, update("j1", 2, seq=7))) is Next.NOTHING
    assert sync.on_snapshot(Snapshot(epoch=EPOCH, seq=6, jobs=[job("j1", 1)])) is Next.NOTHING
    view = store.server("s")
    assert (view.seq, view.jobs["j1"].version) == (7, 2)


def test_a_batch_of_another_epoch_means_a_snapshot() -> None:
    _, sync = loaded()
    assert sync.on_batch(batch(0, 1, update("x", 1, seq=1, epoch="e2"), epoch="e2")) is (
        Next.SNAPSHOT
    )


def test_subscribing_without_batches_asks_for_one_frame_per_change() -> None:
    sync = StreamSync(JobStore(), "s", wall=lambda: 1.0, batch=False)
    assert sync.subscribe_request() == SubscribeJobs()
