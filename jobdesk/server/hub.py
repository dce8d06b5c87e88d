"""Fan-out of committed changes to WebSocket subscribers.

Each subscriber has its own queue of encoded frames and its own filter and dialect. A
subscriber that falls too far behind is cut off (its queue ends with ``None``) rather
than holding memory: it reconnects and replays from its last seq.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

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

MAX_QUEUED_FRAMES = 10_000


@dataclass(eq=False)
class Subscriber:
    filter: JobFilter | None = None
    dialect: str = "canonical"
    queue: asyncio.Queue[bytes | None] = field(default_factory=asyncio.Queue)
    overflowed: bool = False
    allowance: int = MAX_QUEUED_FRAMES
    """Live frames may queue up to this; a replay raises it by its own length, so a long
    replay does not count as falling behind (which would replay it again, forever)."""

    def queue_replay(self, frames: list[bytes]) -> None:
        self.allowance = MAX_QUEUED_FRAMES + len(frames)
        for frame in frames:
            self.queue.put_nowait(frame)

    def offer(self, frame: bytes) -> None:
        if self.overflowed:
            return
        if self.queue.qsize() >= self.allowance:
            self.overflowed = True
            self.queue.put_nowait(None)
            return
        self.queue.put_nowait(frame)


def encode_change(change: Change, epoch: str, dialect: str, timestamp: str) -> bytes:
    if change.job is None:
        return encode_message(
            JobRemoved(job_id=change.job_id, seq=change.seq, epoch=epoch, timestamp=timestamp)
        )
    message = JobUpdate(job=change.job, seq=change.seq, epoch=epoch, timestamp=timestamp)
    if dialect == "seed003":
        return _seed003(message, change.job)
    return encode_message(message)


def _seed003(message: JobUpdate, job: Job) -> bytes:
    """Seed 003's words for statuses (pending for queued), asked for by a dialect."""
    raw = msgspec.to_builtins(message)
    raw["job"]["status"] = status_word(job.status, Dialect.SEED003)
    return msgspec.json.encode(raw)


class Hub:
    def __init__(self, epoch: str) -> None:
        self._epoch = epoch
        self._subscribers: set[Subscriber] = set()

    def add(self, subscriber: Subscriber) -> None:
        self._subscribers.add(subscriber)

    def discard(self, subscriber: Subscriber) -> None:
        self._subscribers.discard(subscriber)

    def __len__(self) -> int:
        return len(self._subscribers)

    def publish(self, changes: list[Change]) -> None:
        if not self._subscribers:
            return
        timestamp = now_timestamp()
        cache: dict[tuple[int, str], bytes] = {}
        for change in changes:
            for sub in self._subscribers:
                if change.job is not None and not matches(change.job, sub.filter):
                    continue
                key = (change.seq, sub.dialect)
                frame = cache.get(key)
                if frame is None:
                    frame = encode_change(change, self._epoch, sub.dialect, timestamp)
                    cache[key] = frame
                sub.offer(frame)

    def publish_stats(self, stats: JobStats) -> None:
        frame = encode_message(JobStatsUpdate(stats=stats, timestamp=now_timestamp()))
        for sub in self._subscribers:
            sub.offer(frame)
