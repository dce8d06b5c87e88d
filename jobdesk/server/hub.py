"""Fan-out of committed changes to WebSocket subscribers.

Each subscriber has its own outbox of frames, its own filter and dialect, and says
whether it reads ``job_updates`` (``batch``):

- A subscriber without ``batch`` gets one ``job_update`` or ``job_removed`` frame per
  change, as seed 003 says; each frame is encoded once per dialect for all of them.
- A subscriber with ``batch`` gets each commit's changes as one segment: every job once,
  in its newest state, as the frame it would have been alone. One segment per commit and
  dialect is built for every unfiltered subscriber, and its frame text is joined once
  from the job JSON the database row was written with: nothing is encoded per
  subscriber. While a subscriber's sender is busy, the next segments merge into the one
  waiting in its outbox, keeping only the newest state of each job (the client applies
  by version, so a superseded state is never needed): a slow reader costs one frame per
  send, not one per change, and holds at most one entry per job. An idle sender sends
  at once; nothing waits for a tick.

A subscriber that falls too far behind is cut off (its outbox ends with ``None``) rather
than holding memory: it reconnects and replays from its last seq.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Final

import msgspec

from jobdesk.protocol import (
    Job,
    JobFilter,
    JobRemoved,
    JobStats,
    JobStatsUpdate,
    JobUpdate,
    encode_message,
    now_timestamp,
    status_word,
)
from jobdesk.protocol.status import Dialect
from jobdesk.server.changes import Change
from jobdesk.server.state import matches

MAX_QUEUED_FRAMES: Final = 10_000
"""A subscriber with more frames (or batched job states) than this waiting is cut off."""
MAX_BATCH_BYTES: Final = 4 * 1024 * 1024
"""A waiting ``job_updates`` frame takes no more segments once this big: the next starts
a frame of its own (the client's limit is 64 MiB)."""
REPLAY_CHUNK: Final = 1000
"""Jobs per ``job_updates`` frame of a replay."""


class Segment:
    """Changes ``(after, seq]`` for one kind of subscriber: job id -> its newest frame.

    A segment the hub built is shared by every subscriber it was offered to and never
    changed; a subscriber that merges into it first takes its own copy (``owned``).
    """

    __slots__ = ("_text", "after", "epoch", "frames", "owned", "seq", "size")

    def __init__(
        self,
        epoch: bytes,
        after: int,
        seq: int,
        frames: dict[str, bytes],
        size: int,
        *,
        owned: bool = False,
    ) -> None:
        self.epoch = epoch
        """The epoch as a JSON string (quoted)."""
        self.after = after
        self.seq = seq
        self.frames = frames
        self.size = size
        self.owned = owned
        self._text: str | None = None

    def text(self) -> str:
        """The ``job_updates`` frame, joined once from the encoded frames (and cached:
        every subscriber it is shared with sends the same text)."""
        if self._text is None:
            head = b'{"type":"job_updates","epoch":%b,"after":%d,"seq":%d,"updates":[' % (
                self.epoch,
                self.after,
                self.seq,
            )
            self._text = (head + b",".join(self.frames.values()) + b"]}").decode()
        return self._text

    def ranged(self, after: int) -> Segment:
        """The same frames, told as the changes after ``after`` (for a filtered
        subscriber, whose earlier commits had nothing for it)."""
        return Segment(self.epoch, after, self.seq, self.frames, self.size, owned=False)

    def merge(self, later: Segment) -> int:
        """Take a later segment's frames (newest state wins); returns the growth in
        entries. Only on an owned segment."""
        assert self.owned
        before = len(self.frames)
        self.frames.update(later.frames)
        self.seq = later.seq
        self.size += later.size
        self._text = None
        return len(self.frames) - before

    def fits(self) -> bool:
        """Whether the frame may still grow: ``size`` adds up what was merged in,
        replaced states included; only past the limit is it counted exactly."""
        if self.size >= MAX_BATCH_BYTES:
            self.size = sum(map(len, self.frames.values()))
        return self.size < MAX_BATCH_BYTES

    def owned_copy(self) -> Segment:
        return Segment(self.epoch, self.after, self.seq, dict(self.frames), self.size, owned=True)


Item = str | Segment | None
"""What an outbox holds: a frame's text, a segment, or None (cut off: close 1013)."""


@dataclass(eq=False)
class Subscriber:
    filter: JobFilter | None = None
    dialect: str = "canonical"
    batch: bool = False
    """Reads ``job_updates`` (asked for with ``batch: true`` in ``subscribe_jobs``)."""
    covered: int = 0
    """The seq the queued frames bring the client up to (a ``batch`` subscriber's)."""
    overflowed: bool = False
    allowance: int = MAX_QUEUED_FRAMES
    """Live frames may queue up to this; a replay raises it by its own length, so a long
    replay does not count as falling behind (which would replay it again, forever)."""
    items: deque[Item] = field(default_factory=deque)
    stats: str | None = None
    """The newest stats frame not sent yet (a ``batch`` subscriber's: stats keep no order
    with the changes, and a waiting one is replaced rather than queued behind them)."""
    pending: int = 0
    """Frames waiting, a segment counting one per job in it."""
    beat_due: bool = False
    """A heartbeat is due: sent as soon as nothing else is queued."""
    _ready: asyncio.Event = field(default_factory=asyncio.Event)

    # --- filling (the hub, the connection) ---------------------------------------------

    def put(self, frame: str) -> None:
        """A reply or notice of the connection's own: always queued, in order."""
        self._push(frame, 1)

    def queue_replay(self, frames: Sequence[str]) -> None:
        self.allowance = MAX_QUEUED_FRAMES + len(frames)
        for frame in frames:
            self._push(frame, 1)

    def queue_replay_segments(self, segments: Sequence[Segment]) -> None:
        self.allowance = MAX_QUEUED_FRAMES + sum(len(s.frames) for s in segments)
        for segment in segments:
            self._push(segment, len(segment.frames))
        if segments:
            self.covered = segments[-1].seq

    def offer(self, frame: str) -> None:
        """One change's frame, for a subscriber without ``batch``."""
        if self.overflowed:
            return
        if self.pending >= self.allowance:
            self._cut_off()
            return
        self._push(frame, 1)

    def offer_segment(self, segment: Segment) -> None:
        """A commit's changes, for a ``batch`` subscriber: merged into the segment still
        waiting in the outbox if there is one, else queued as the next frame."""
        if self.overflowed:
            return
        if segment.after != self.covered:
            segment = segment.ranged(self.covered)
        tail = self.items[-1] if self.items else None
        if isinstance(tail, Segment) and tail.fits():
            if not tail.owned:
                tail = self.items[-1] = tail.owned_copy()
            self.pending += tail.merge(segment)
        else:
            self._push(segment, len(segment.frames))
        self.covered = segment.seq
        if self.pending > self.allowance:
            self._cut_off()

    def extend(self, seq: int) -> None:
        """A commit with nothing for this (filtered) ``batch`` subscriber: a segment still
        waiting now covers it too; with none waiting, the next one will."""
        tail = self.items[-1] if self.items else None
        if isinstance(tail, Segment):
            if not tail.owned:
                tail = self.items[-1] = tail.owned_copy()
            tail.seq = seq
            tail._text = None
            self.covered = seq

    def offer_stats(self, frame: str) -> None:
        if not self.batch:
            self.offer(frame)
        elif not self.overflowed:
            self.stats = frame
            self._ready.set()

    def _push(self, item: str | Segment, units: int) -> None:
        self.items.append(item)
        self.pending += units
        self._ready.set()

    def _cut_off(self) -> None:
        self.overflowed = True
        self.items.append(None)
        self._ready.set()

    # --- draining (the connection's sender) --------------------------------------------

    def take(self) -> str | Empty | None:
        """The next frame's text (a segment is joined now), None when cut off, or EMPTY."""
        if self.stats is not None:
            stats, self.stats = self.stats, None
            return stats
        if not self.items:
            self._ready.clear()
            return EMPTY
        item = self.items.popleft()
        if isinstance(item, Segment):
            self.pending -= len(item.frames)
            return item.text()
        if item is not None:
            self.pending -= 1
        return item

    async def wait(self) -> None:
        """Until something is queued, or a heartbeat is due."""
        await self._ready.wait()

    def beat(self) -> None:
        self.beat_due = True
        self._ready.set()

    def qsize(self) -> int:
        return len(self.items)


class Empty:
    """Nothing is queued."""


EMPTY: Final = Empty()


def update_frame(change: Change, epoch: bytes, timestamp: bytes) -> bytes:
    """A canonical ``job_update``, built around the job JSON encoded once for the
    database row: the same bytes ``encode_message(JobUpdate(...))`` gives."""
    return b'{"type":"job_update","job":%b,"seq":%d,"epoch":%b,"timestamp":%b}' % (
        change.data,
        change.seq,
        epoch,
        timestamp,
    )


def encode_change(change: Change, epoch: str, dialect: str, timestamp: str) -> bytes:
    if change.job is None:
        return encode_message(
            JobRemoved(job_id=change.job_id, seq=change.seq, epoch=epoch, timestamp=timestamp)
        )
    if dialect == "seed003":
        message = JobUpdate(job=change.job, seq=change.seq, epoch=epoch, timestamp=timestamp)
        return _seed003(message, change.job)
    return update_frame(change, _json(epoch), _json(timestamp))


def _json(text: str) -> bytes:
    return msgspec.json.encode(text)


def _seed003(message: JobUpdate[Job], job: Job) -> bytes:
    """Seed 003's words for statuses (pending for queued), asked for by a dialect."""
    raw = msgspec.to_builtins(message)
    raw["job"]["status"] = status_word(job.status, Dialect.SEED003)
    return msgspec.json.encode(raw)


class _Frames:
    """Each change's frame per dialect, encoded on first use within one publish."""

    def __init__(self, epoch: str, timestamp: str) -> None:
        self._epoch = epoch
        self._timestamp = timestamp
        self._epoch_json = _json(epoch)
        self._timestamp_json = _json(timestamp)
        self._bytes: dict[tuple[int, str], bytes] = {}
        self._text: dict[tuple[int, str], str] = {}

    def encoded(self, change: Change, dialect: str) -> bytes:
        key = (change.seq, dialect)
        frame = self._bytes.get(key)
        if frame is None:
            if change.job is not None and dialect != "seed003":
                frame = update_frame(change, self._epoch_json, self._timestamp_json)
            else:
                frame = encode_change(change, self._epoch, dialect, self._timestamp)
            self._bytes[key] = frame
        return frame

    def text(self, change: Change, dialect: str) -> str:
        key = (change.seq, dialect)
        text = self._text.get(key)
        if text is None:
            text = self._text[key] = self.encoded(change, dialect).decode()
        return text


def build_segments(
    changes: Sequence[Change],
    frames: _Frames,
    epoch: bytes,
    dialect: str,
    wanted: JobFilter | None,
    after: int,
    *,
    last_seq: int | None = None,
    chunk: int | None = None,
) -> list[Segment]:
    """Segments of ``changes`` (in seq order) for one kind of subscriber: each job once,
    its newest state (older states are never encoded). ``chunk`` splits a replay into
    frames of that many jobs, in the order of their last change; ``last_seq`` is what
    the last one covers."""
    newest = {c.job_id: c for c in changes}  # each job once, its last change (in no order)
    picked = (
        list(newest.values())
        if wanted is None
        else [c for c in newest.values() if c.job is None or matches(c.job, wanted)]
    )
    if chunk is not None:
        picked.sort(key=lambda c: c.seq)  # each chunk covers the seqs up to its last one
    end = last_seq if last_seq is not None else (changes[-1].seq if changes else after)
    size = chunk or max(1, len(picked))
    segments: list[Segment] = []
    for start in range(0, max(1, len(picked)), size):
        part = picked[start : start + size]
        entries = {c.job_id: frames.encoded(c, dialect) for c in part}
        done = start + size >= len(picked)
        seq = end if done else part[-1].seq
        total = sum(map(len, entries.values()))
        segments.append(Segment(epoch, after, seq, entries, total))
        after = seq
    return segments


class Hub:
    def __init__(self, epoch: str) -> None:
        self._epoch = epoch
        self._epoch_json = _json(epoch)
        self._subscribers: set[Subscriber] = set()

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def discard(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish(self, changes: list[Change]) -> None:
        if not self._subscribers or not changes:
            return
        frames = _Frames(self._epoch, now_timestamp())
        after, last = changes[0].seq - 1, changes[-1].seq
        shared: dict[str, Segment] = {}
        for sub in self._subscribers:
            if not sub.batch:
                for change in changes:
                    if change.job is not None and not matches(change.job, sub.filter):
                        continue
                    sub.offer(frames.text(change, sub.dialect))
                continue
            if sub.filter is None:
                segment = shared.get(sub.dialect)
                if segment is None:
                    segment = shared[sub.dialect] = build_segments(
                        changes, frames, self._epoch_json, sub.dialect, None, after
                    )[0]
            else:
                segment = build_segments(
                    changes, frames, self._epoch_json, sub.dialect, sub.filter, after
                )[0]
                if not segment.frames:
                    sub.extend(last)
                    continue
            sub.offer_segment(segment)

    def replay_segments(
        self, changes: Iterable[Change], subscriber: Subscriber, since: int, seq: int
    ) -> list[Segment]:
        """A ``batch`` subscriber's replay: frames of up to REPLAY_CHUNK jobs covering
        ``(since, seq]``; one, empty, when nothing it wants changed."""
        frames = _Frames(self._epoch, now_timestamp())
        return build_segments(
            list(changes),
            frames,
            self._epoch_json,
            subscriber.dialect,
            subscriber.filter,
            since,
            last_seq=seq,
            chunk=REPLAY_CHUNK,
        )

    def publish_stats(self, stats: JobStats) -> None:
        frame = encode_message(JobStatsUpdate(stats=stats, timestamp=now_timestamp())).decode()
        for sub in self._subscribers:
            sub.offer_stats(frame)
