"""Where the client is in a server's event stream: the protocol logic, apart from I/O.

The engine hands every message and REST answer to ``StreamSync``; it applies them to
the store through the one apply path and answers what the engine must do next
(fetch a snapshot, or subscribe again since the last contiguous seq). The rules:

- ``jobs_subscribed`` with ``mode: replay`` and seq S: the events up to S that follow
  are a compacted replay (seq may skip); the stored seq moves to S only once the replay
  is complete, so a disconnect in the middle replays it again instead of losing it.
- any other mode: take a snapshot; events read meanwhile are kept and applied after it.
- live events must be contiguous: a seq that skips means a lost event, and the answer
  is to subscribe again since the last seq we are sure of (the server replays).
- an event or heartbeat of another epoch means the server's database changed: snapshot.
- ``job_updates`` (asked for with ``batch``) carries every change after ``after`` up to
  ``seq``, each job once: applied together, it moves the seq to ``seq`` when ``after``
  is not past ours (else events were lost: subscribe again). In a replay it is part of
  the replay, which is complete once one reaches the replay's seq.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from enum import Enum
from typing import Protocol

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


class SnapshotRead(Protocol):
    """A full snapshot as read (``jobdesk.client.rest.JobsRead``, or a ``Snapshot``)."""

    @property
    def epoch(self) -> str: ...
    @property
    def seq(self) -> int: ...
    @property
    def jobs(self) -> Iterable[JobSummary]: ...


Event = JobUpdate[JobSummary] | JobRemoved
Batch = JobUpdates[JobSummary]


class Next(Enum):
    NOTHING = "nothing"
    SNAPSHOT = "snapshot"
    """Fetch GET /api/jobs and hand it to ``on_snapshot``."""
    RESUBSCRIBE = "resubscribe"
    """Send ``subscribe_request()`` again: an event was lost."""


class StreamSync:
    def __init__(
        self, store: JobStore, server: str, wall: Callable[[], float], *, batch: bool = True
    ) -> None:
        self._store = store
        self._batch = batch
        """Ask for ``job_updates`` (False: one frame per change, as a seed 003 client)."""
        self._server = server
        self._wall = wall
        self.synced = False
        """True once the store equals the server's state at the stored seq."""
        self._replay_until: int | None = None
        self._snapshot_pending = False
        self._held: list[Event | Batch] = []
        self._awaiting_answer = False
        """A subscribe was sent and its ``jobs_subscribed`` has not arrived: events still
        in flight from before it are applied by version only."""
        self.asked_since: int | None = None
        """The seq the last subscribe asked to resume after (None: from scratch)."""

    def subscribe_request(self) -> SubscribeJobs:
        """Subscribe since what the store holds (a replay), or from scratch."""
        view = self._store.server(self._server)
        self.synced = False
        self._replay_until = None
        self._awaiting_answer = True
        if view.epoch is None:
            self.asked_since = None
            return SubscribeJobs(batch=self._batch)
        self.asked_since = view.seq
        return SubscribeJobs(since=view.seq, epoch=view.epoch, batch=self._batch)

    @property
    def known_epoch(self) -> str | None:
        """The epoch the store holds for this server (None: nothing yet)."""
        return self._store.server(self._server).epoch

    def on_subscribed(self, message: JobsSubscribed) -> Next:
        self._awaiting_answer = False
        view = self._store.server(self._server)
        if message.mode == "replay" and message.epoch == view.epoch:
            if message.seq <= view.seq:
                self._mark_synced(None)
            else:
                self._replay_until = message.seq
            return Next.NOTHING
        self._snapshot_pending = True
        self._held = []
        return Next.SNAPSHOT

    def on_snapshot(self, snapshot: SnapshotRead) -> Next:
        """Replace the server's jobs with the snapshot, then apply what was held."""
        self._store.apply(
            self._server,
            epoch=snapshot.epoch,
            jobs=snapshot.jobs,
            seq=snapshot.seq,
            replace=True,
            now=self._wall(),
        )
        self._snapshot_pending = False
        self._replay_until = None
        self.synced = True
        held, self._held = self._held, []
        for event in held:
            step = self.on_batch(event) if isinstance(event, JobUpdates) else self.on_event(event)
            if step is not Next.NOTHING:
                return Next.RESUBSCRIBE
        return Next.NOTHING

    def on_event(self, event: Event) -> Next:
        if self._snapshot_pending:
            self._held.append(event)
            return Next.NOTHING
        view = self._store.server(self._server)
        if self._awaiting_answer:
            if event.epoch == view.epoch:
                self._apply(event, seq=None)
            return Next.NOTHING
        if event.epoch != view.epoch:
            return self._need_snapshot()
        if self._replay_until is not None:
            done = event.seq >= self._replay_until
            self._apply(event, seq=event.seq if done else None)
            if done:
                self._replay_until = None
                self.synced = True
            return Next.NOTHING
        if event.seq <= view.seq:
            return Next.NOTHING  # already reflected
        if event.seq == view.seq + 1:
            self._apply(event, seq=event.seq)
            return Next.NOTHING
        self._apply(event, seq=None)  # harmless by version; the gap is replayed
        return Next.RESUBSCRIBE

    def on_batch(self, batch: Batch) -> Next:
        """Many changes in one frame: every change after ``batch.after`` up to ``batch.seq``."""
        if self._snapshot_pending:
            self._held.append(batch)
            return Next.NOTHING
        view = self._store.server(self._server)
        if self._awaiting_answer:
            if batch.epoch == view.epoch:
                self._apply_batch(batch, seq=None)
            return Next.NOTHING
        if batch.epoch != view.epoch:
            return self._need_snapshot()
        if self._replay_until is not None:
            done = batch.seq >= self._replay_until
            self._apply_batch(batch, seq=batch.seq if done else None)
            if done:
                self._replay_until = None
                self.synced = True
            return Next.NOTHING
        if batch.seq <= view.seq:
            return Next.NOTHING  # already reflected
        if batch.after <= view.seq:
            self._apply_batch(batch, seq=batch.seq)
            return Next.NOTHING
        self._apply_batch(batch, seq=None)  # harmless by version; the gap is replayed
        return Next.RESUBSCRIBE

    def on_heartbeat(self, beat: Heartbeat) -> Next:
        if self._snapshot_pending or self._awaiting_answer:
            return Next.NOTHING
        view = self._store.server(self._server)
        if beat.epoch != view.epoch:
            return self._need_snapshot()
        if self._replay_until is not None:
            # the server sends a heartbeat only after every frame queued before it,
            # so the replay is complete
            self._mark_synced(self._replay_until)
            return Next.NOTHING
        if beat.seq > view.seq:
            return Next.RESUBSCRIBE
        self._store.confirm(self._server, self._wall())
        return Next.NOTHING

    def on_alive(self) -> None:
        """Any other sign of life (pong, stats) confirms a synced state."""
        if self.synced and self._replay_until is None and not self._snapshot_pending:
            self._store.confirm(self._server, self._wall())

    def _need_snapshot(self) -> Next:
        self._snapshot_pending = True
        self._held = []
        self.synced = False
        return Next.SNAPSHOT

    def _mark_synced(self, seq: int | None) -> None:
        self._replay_until = None
        self.synced = True
        self._store.confirm(self._server, self._wall(), seq)

    def _apply(self, event: Event, *, seq: int | None) -> None:
        if isinstance(event, JobUpdate):
            jobs, removed = [event.job], []
        else:
            jobs, removed = [], [event.job_id]
        self._store.apply(
            self._server, epoch=event.epoch, jobs=jobs, removed=removed, seq=seq, now=self._wall()
        )

    def _apply_batch(self, batch: Batch, *, seq: int | None) -> None:
        jobs: list[JobSummary] = []
        removed: list[str] = []
        for event in batch.updates:
            if isinstance(event, JobUpdate):
                jobs.append(event.job)
            else:
                removed.append(event.job_id)
        self._store.apply(
            self._server, epoch=batch.epoch, jobs=jobs, removed=removed, seq=seq, now=self._wall()
        )
