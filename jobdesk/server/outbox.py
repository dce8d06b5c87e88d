"""What one WebSocket has queued to send, bounded in bytes.

Everything the server sends a socket waits here, in order: its replies, its replay and
the live frames the hub offers it. A subscriber without ``batch`` is offered one frame
per change; one with ``batch`` one segment per commit, merged into the segment still
waiting (newest state per job) so a slow reader holds at most one entry per job.

The budget counts bytes, not frames: a frame can be a whole job with its log (up to a few
MB), and a reply can echo what the client sent. Once more than ``max_bytes`` wait behind
the frame being sent, the outbox lets go of them and says it overflowed; the connection
then closes with 1013 and the client resumes with ``since``. A replay waits as a
position in the change feed (``Replay``), never as encoded frames, so a reconnecting
monitor owed the whole state costs no more than any other.

Stats for a ``batch`` subscriber keep no place in the queue: a newer one replaces the
unsent one and goes out first. So does the queue overview (``subscribe_overview``),
whatever the subscriber reads: a slow reader holds at most one of each.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Final

from jobdesk.protocol import JobFilter
from jobdesk.server.frames import Segment
from jobdesk.server.replay import Replay

DEFAULT_MAX_BYTES: Final = 4 * 1024 * 1024
"""What may wait for one socket, replies included (``--ws-max-queued-bytes``)."""

Item = str | Segment | Replay


@dataclass(eq=False)
class Subscriber:
    max_bytes: int = DEFAULT_MAX_BYTES
    filter: JobFilter | None = None
    dialect: str = "canonical"
    batch: bool = False
    """Reads ``job_updates`` (asked for with ``batch: true`` in ``subscribe_jobs``)."""
    covered: int = 0
    """The seq the queued frames bring the client up to (a ``batch`` subscriber's)."""
    overflowed: bool = False
    items: deque[Item] = field(default_factory=deque)
    queued_bytes: int = 0
    """Bytes of the frames waiting (a replay counts none: it is a position)."""
    stats: str | None = None
    """The newest stats frame not sent yet (a ``batch`` subscriber's)."""
    overview: str | None = None
    """The newest ``queue_overview`` frame not sent yet."""
    beat_due: bool = False
    """A heartbeat is due: sent as soon as nothing else is queued."""
    _ready: asyncio.Event = field(default_factory=asyncio.Event)
    on_overflow: Callable[[], None] = lambda: None
    """Called once, when the budget is exceeded: the connection closes with 1013."""

    # --- filling (the hub, the connection) ---------------------------------------------

    def put(self, frame: str) -> None:
        """A reply or notice of the connection's own: queued in order, counted."""
        self._push(frame, len(frame))

    def queue_replay(self, replay: Replay) -> None:
        self.items.append(replay)
        self._ready.set()
        if self.batch:
            self.covered = replay.until

    def offer(self, frame: str) -> None:
        """One change's frame, for a subscriber without ``batch``."""
        self._push(frame, len(frame))

    def offer_segment(self, segment: Segment) -> None:
        """A commit's changes, for a ``batch`` subscriber: merged into the segment still
        waiting in the outbox if there is one, else queued as the next frame."""
        if self.overflowed:
            return
        if segment.after != self.covered:
            segment = segment.ranged(self.covered)
        tail = self.items[-1] if self.items else None
        self.covered = segment.seq
        if isinstance(tail, Segment) and tail.fits():
            if not tail.owned:
                tail = self.items[-1] = tail.owned_copy()
            self.queued_bytes += tail.merge(segment)
            self._check()
        else:
            self._push(segment, segment.size)

    def extend(self, seq: int) -> None:
        """A commit with nothing for this (filtered) ``batch`` subscriber: a segment still
        waiting now covers it too; with none waiting, the next one will."""
        tail = self.items[-1] if self.items else None
        if isinstance(tail, Segment):
            if not tail.owned:
                tail = self.items[-1] = tail.owned_copy()
            tail.extend(seq)
            self.covered = seq

    def offer_stats(self, frame: str) -> None:
        if not self.batch:
            self.offer(frame)
        elif not self.overflowed:
            self.stats = frame
            self._ready.set()

    def offer_overview(self, frame: str) -> None:
        if not self.overflowed:
            self.overview = frame
            self._ready.set()

    def _push(self, item: str | Segment, size: int) -> None:
        if self.overflowed:
            return
        self.items.append(item)
        self.queued_bytes += size
        self._ready.set()
        self._check()

    def _check(self) -> None:
        """Over budget with more than one frame waiting: let go of them all. (One frame
        alone may be bigger than the budget: a job with a long log still reaches a
        client that reads.)"""
        if self.queued_bytes > self.max_bytes and len(self.items) > 1:
            self.overflowed = True
            self.items.clear()
            self.queued_bytes = 0
            self.stats = None
            self.overview = None
            self.on_overflow()

    # --- draining (the connection's sender) --------------------------------------------

    def take(self) -> str | None:
        """The next frame's text (a segment is joined now, a replay's next frame
        encoded now), or None when nothing is queued."""
        if self.stats is not None:
            stats, self.stats = self.stats, None
            return stats
        if self.overview is not None:
            overview, self.overview = self.overview, None
            return overview
        while self.items:
            item = self.items[0]
            if isinstance(item, Replay):
                frame = item.next_frame()
                if frame is not None:
                    return frame
                self.items.popleft()
                continue
            self.items.popleft()
            if isinstance(item, Segment):
                self.queued_bytes -= item.size
                return item.text()
            self.queued_bytes -= len(item)
            return item
        self._ready.clear()
        return None

    async def wait(self) -> None:
        """Until something is queued, or a heartbeat is due."""
        await self._ready.wait()

    def beat(self) -> None:
        self.beat_due = True
        self._ready.set()
