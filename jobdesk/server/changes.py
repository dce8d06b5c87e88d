"""A committed change: one event on the server-wide ``seq`` stream."""

from __future__ import annotations

import msgspec

from jobdesk.protocol import Job

encode_job = msgspec.json.Encoder().encode
"""A job's JSON, as its row and every frame carry it."""


class Change:
    """A job's new state (``job`` set) or its removal by retention (``job`` is None).

    ``data`` is the job's JSON, encoded once and shared by the database row and every
    WebSocket frame that carries it.
    """

    __slots__ = ("_data", "job", "job_id", "seq")

    def __init__(self, seq: int, job_id: str, job: Job | None, data: bytes | None = None) -> None:
        self.seq = seq
        self.job_id = job_id
        self.job = job
        self._data = data

    @property
    def data(self) -> bytes:
        """The job as JSON (only for a change that has a job)."""
        if self._data is None:
            assert self.job is not None, "a removal has no job to encode"
            self._data = encode_job(self.job)
        return self._data

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Change):
            return NotImplemented
        return (self.seq, self.job_id, self.job) == (other.seq, other.job_id, other.job)

    def __hash__(self) -> int:
        return hash((self.seq, self.job_id))

    def __repr__(self) -> str:
        return f"Change(seq={self.seq!r}, job_id={self.job_id!r}, job={self.job!r})"
