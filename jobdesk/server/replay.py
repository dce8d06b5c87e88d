"""A subscriber's replay, read from the committed state a frame at a time as it is sent.

A monitor resuming after a disconnect may be owed every job the server holds; encoded
up front, that was the whole state once more per reconnecting socket (150 MB for
100,000 jobs), queued whatever the socket's budget. A replay instead holds its place in
the change feed and encodes the next frame when the sender asks for it, so what waits
for a slow reader is a position, not bytes.

It replays ``(since, until]``, ``until`` being the seq when the subscriber joined the hub;
a job changed again after ``until`` is skipped here, because that change is in the live
frames queued behind the replay (the client applies by version either way).
"""

from __future__ import annotations

from collections.abc import Iterator

from jobdesk.protocol import JobFilter, now_timestamp
from jobdesk.server.changes import Change
from jobdesk.server.frames import MAX_SEGMENT_BYTES, REPLAY_CHUNK, Frames, Segment, json_text
from jobdesk.server.state import ServerState, matches


class Replay:
    __slots__ = ("_after", "_ahead", "_batch", "_changes", "_dialect", "_epoch", "_filter", "until")

    def __init__(
        self,
        state: ServerState,
        since: int,
        *,
        dialect: str,
        wanted: JobFilter | None,
        batch: bool,
    ) -> None:
        self._epoch = state.epoch
        self._after = since
        self.until = state.seq
        """The seq the replay brings its subscriber to."""
        self._dialect = dialect
        self._filter = wanted
        self._batch = batch
        self._changes: Iterator[Change] = state.changes_since(since, self.until)
        self._ahead: Change | None = None

    def next_frame(self) -> str | None:
        """The next frame's text, or None when the replay is over."""
        return self._next_segment() if self._batch else self._next_single()

    def _next_single(self) -> str | None:
        for change in self._changes:
            if change.job is None or matches(change.job, self._filter):
                frames = Frames(self._epoch, now_timestamp())
                return frames.text(change, self._dialect)
        return None

    def _next_segment(self) -> str | None:
        """A ``job_updates`` frame of up to REPLAY_CHUNK jobs (or MAX_SEGMENT_BYTES),
        covering the seqs up to its last change, the last one up to ``until``."""
        if self._after >= self.until:
            return None
        frames = Frames(self._epoch, now_timestamp())
        entries: dict[str, bytes] = {}
        size, last = 0, self._after
        while len(entries) < REPLAY_CHUNK and size < MAX_SEGMENT_BYTES:
            change = self._ahead or next(self._changes, None)
            self._ahead = None
            if change is None:
                last = self.until
                break
            last = change.seq
            if change.job is None or matches(change.job, self._filter):
                frame = entries[change.job_id] = frames.encoded(change, self._dialect)
                size += len(frame)
        else:  # full: is anything left?
            self._ahead = next(self._changes, None)
            if self._ahead is None:
                last = self.until
        segment = Segment(json_text(self._epoch), self._after, last, entries, size)
        self._after = last
        return segment.text()
