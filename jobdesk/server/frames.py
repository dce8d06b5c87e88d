"""The frames the WebSocket sends about changes, encoded once for every subscriber.

A ``job_update`` is built around the job JSON already encoded for its database row
(``Change.data``), byte for byte what encoding the message would give. A ``job_updates``
frame (for a subscriber that asked for ``batch``) is a ``Segment``: the changes
``(after, seq]`` it covers, each job once in its newest state, joined into text once
and shared by every subscriber it is offered to.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import msgspec

from jobdesk.protocol import Job, JobFilter, JobRemoved, JobUpdate, encode_message, status_word
from jobdesk.protocol.status import Dialect
from jobdesk.server.changes import Change
from jobdesk.server.state import matches

MAX_SEGMENT_BYTES: Final = 1024 * 1024
"""A ``job_updates`` frame takes no more jobs once this big (one job alone may be
bigger): a commit or a replay of many jobs goes out as several frames, so no frame
holds a socket's budget by itself (the client's limit is 64 MiB)."""
REPLAY_CHUNK: Final = 1000
"""Jobs per ``job_updates`` frame of a replay."""


def json_text(text: str) -> bytes:
    return msgspec.json.encode(text)


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
    return update_frame(change, json_text(epoch), json_text(timestamp))


def _seed003(message: JobUpdate[Job], job: Job) -> bytes:
    """Seed 003's words for statuses (pending for queued), asked for by a dialect."""
    raw = msgspec.to_builtins(message)
    raw["job"]["status"] = status_word(job.status, Dialect.SEED003)
    return msgspec.json.encode(raw)


class Frames:
    """Each change's frame per dialect, encoded on first use (within one publish, or
    one replay frame)."""

    def __init__(self, epoch: str, timestamp: str) -> None:
        self._epoch = epoch
        self._timestamp = timestamp
        self._epoch_json = json_text(epoch)
        self._timestamp_json = json_text(timestamp)
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


class Segment:
    """Changes ``(after, seq]`` for one kind of subscriber: job id -> its newest frame.

    A segment the hub built is shared by every subscriber it was offered to and never
    changed; a subscriber that merges into it first takes its own copy (``owned``).
    ``size`` is the bytes of its frames, kept exact as frames are merged in.
    """

    __slots__ = ("_text", "after", "epoch", "frames", "owned", "seq", "size")

    def __init__(
        self,
        epoch: bytes,
        after: int,
        seq: int,
        frames: dict[str, bytes],
        size: int | None = None,
        *,
        owned: bool = False,
    ) -> None:
        self.epoch = epoch
        """The epoch as a JSON string (quoted)."""
        self.after = after
        self.seq = seq
        self.frames = frames
        self.size = sum(map(len, frames.values())) if size is None else size
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
        return Segment(self.epoch, after, self.seq, self.frames, self.size)

    def merge(self, later: Segment) -> int:
        """Take a later segment's frames (newest state wins); returns the growth in
        bytes. Only on an owned segment."""
        assert self.owned
        before = self.size
        for job_id, frame in later.frames.items():
            replaced = self.frames.get(job_id)
            if replaced is not None:
                self.size -= len(replaced)
            self.frames[job_id] = frame
            self.size += len(frame)
        self.seq = later.seq
        self._text = None
        return self.size - before

    def extend(self, seq: int) -> None:
        """Also cover commits up to ``seq`` that had nothing for its subscriber."""
        assert self.owned
        self.seq = seq
        self._text = None

    def fits(self) -> bool:
        return self.size < MAX_SEGMENT_BYTES

    def owned_copy(self) -> Segment:
        return Segment(self.epoch, self.after, self.seq, dict(self.frames), self.size, owned=True)


def build_segments(
    changes: Sequence[Change],
    frames: Frames,
    epoch: bytes,
    dialect: str,
    wanted: JobFilter | None,
    after: int,
    *,
    last_seq: int | None = None,
    chunk: int | None = None,
) -> list[Segment]:
    """Segments of ``changes`` (in seq order) for one kind of subscriber: each job once,
    its newest state (older states are never encoded), in the order of their last
    change. A segment takes at most ``chunk`` jobs and stops growing past
    ``MAX_SEGMENT_BYTES``; each covers the seqs up to its last change, and the last one
    up to ``last_seq`` (default: the last change's). One, empty, when nothing matches."""
    newest = {c.job_id: c for c in changes}  # each job once, its last change
    picked = sorted(
        (c for c in newest.values() if c.job is None or matches(c.job, wanted)),
        key=lambda c: c.seq,
    )
    end = last_seq if last_seq is not None else (changes[-1].seq if changes else after)
    limit = chunk or len(picked) or 1
    segments: list[Segment] = []
    entries: dict[str, bytes] = {}
    size = 0
    for index, change in enumerate(picked):
        frame = frames.encoded(change, dialect)
        entries[change.job_id] = frame
        size += len(frame)
        if index + 1 < len(picked) and (len(entries) >= limit or size >= MAX_SEGMENT_BYTES):
            segments.append(Segment(epoch, after, change.seq, entries, size))
            after, entries, size = change.seq, {}, 0
    segments.append(Segment(epoch, after, end, entries, size))
    return segments
