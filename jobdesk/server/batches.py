"""What the writer needs of a store: a scope per batch, and for replicas a follower.

One machine (SQLite): the committed state in memory is the whole truth, so a batch's
claims use its heaps and its commit is one local transaction whose seqs are the ones
the batch numbered. Several replicas (PostgreSQL, ``pg/``): a batch locks its claim
candidates in the database, its commit checks every job's version (a ``Conflict`` when
another replica changed one first) and takes its seqs from the database's counter, and
the ``Follower`` applies what the others committed, in seq order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

from jobdesk.protocol import Job
from jobdesk.server.candidates import CandidateSource

if TYPE_CHECKING:
    from jobdesk.server.storage import Storage
    from jobdesk.server.writer import Transaction


class Conflict(Exception):
    """Another replica changed a job this batch changed, or answered one of its
    idempotency keys, first: nothing was written; the batch runs again on newer state."""

    def __init__(self, keys: Sequence[str] = ()) -> None:
        super().__init__("another replica changed the same jobs first")
        self.keys = list(keys)
        """Idempotency keys another replica answered: read them before the next try."""


class BatchScope(Protocol):
    candidates: CandidateSource | None
    """Where the batch's claims look (None: the committed state's heaps)."""
    seen: dict[str, Job]
    """Jobs read from the database for the batch, newer than the committed state."""

    async def commit(self, tx: Transaction, history_floor: int | None) -> int:
        """Write the batch; returns the seq just before its first change."""
        ...

    async def abort(self) -> None:
        """The batch wrote nothing: end the scope."""
        ...


class BatchStore(Protocol):
    async def begin(self, claims: Sequence[frozenset[str]], now_s: float) -> BatchScope:
        """Open a batch scope; ``claims`` are the job types of each claim in the batch."""
        ...


class Follower(Protocol):
    applying: asyncio.Lock
    """Held while the committed state changes: by the follower, and by a whole batch."""

    async def catch_up_to(self, seq: int) -> None:
        """Apply every other replica's change up to ``seq`` (the lock is held)."""
        ...

    async def catch_up(self, keys: Sequence[str]) -> None:
        """After a conflict: apply everything committed so far, and learn the answers of
        these idempotency keys (the lock is held)."""
        ...


class LocalScope:
    """A batch on one machine: the local heaps, one SQLite transaction on the loop."""

    candidates: CandidateSource | None = None

    def __init__(self, storage: Storage) -> None:
        self._storage = storage
        self.seen: dict[str, Job] = {}

    async def commit(self, tx: Transaction, history_floor: int | None) -> int:
        self._storage.commit(tx.changes, tx.seq, history_floor, tx.remembered, tx.forget_before_s)
        return tx.state.seq

    async def abort(self) -> None:
        return None


class LocalBatches:
    def __init__(self, storage: Storage) -> None:
        self._storage = storage

    async def begin(self, claims: Sequence[frozenset[str]], now_s: float) -> BatchScope:
        return LocalScope(self._storage)
