"""Where a claim's candidates come from: one small interface, one source per store.

On one machine the committed state is the whole truth, and its heaps (``claim_index``)
give the next job. A replica's state may be a moment behind the database, and other
replicas claim at the same time, so its batches offer the rows they locked with
``FOR UPDATE SKIP LOCKED`` instead (``pg/batch.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from jobdesk.protocol import Job

if TYPE_CHECKING:
    from jobdesk.server.writer import Transaction


class CandidateSource(Protocol):
    def best(self, tx: Transaction, types: set[str], now_s: float) -> Job | None:
        """The first job in claim order of ``types`` due at ``now_s``, among those this
        batch has not changed already (its own new jobs are looked at by ``pick``)."""
        ...


class LocalCandidates:
    """The committed state's heaps."""

    def best(self, tx: Transaction, types: set[str], now_s: float) -> Job | None:
        best = None
        for job_type in types:
            key = tx.state.claims.best(job_type, now_s, tx.changed)
            if key is not None and (best is None or key < best):
                best = key
        return None if best is None else tx.get(best[2])
