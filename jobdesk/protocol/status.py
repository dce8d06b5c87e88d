"""Job statuses, and the one place where every seed's words for them are mapped.

The canonical statuses are the six of the Job model. Each seed document names the same
states differently; on input every word of every vocabulary is accepted
(case-insensitively), and each endpoint answers in the vocabulary of the seed it comes from.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final


class Status(StrEnum):
    """Canonical job status, as stored and as sent on the canonical WebSocket stream."""

    QUEUED = "queued"
    RUNNING = "running"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"

    @property
    def is_terminal(self) -> bool:
        """True once the job can no longer change by a worker's hand."""
        return self in TERMINAL

    @property
    def is_active(self) -> bool:
        return self not in TERMINAL


TERMINAL: Final = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})
ACTIVE: Final = frozenset({Status.QUEUED, Status.RUNNING, Status.RETRYING})


class Dialect(StrEnum):
    """The vocabularies the endpoints answer in, named after the seed they come from."""

    CANONICAL = "canonical"
    SEED000 = "seed000"
    SEED001 = "seed001"
    SEED002 = "seed002"
    SEED003 = "seed003"


_ALIASES: Final[dict[str, Status]] = {
    "queued": Status.QUEUED,
    "pending": Status.QUEUED,
    "running": Status.RUNNING,
    "processing": Status.RUNNING,
    "in_progress": Status.RUNNING,
    "in-progress": Status.RUNNING,
    "retrying": Status.RETRYING,
    "completed": Status.COMPLETED,
    "complete": Status.COMPLETED,
    "failed": Status.FAILED,
    "error": Status.FAILED,
    "cancelled": Status.CANCELLED,
    "canceled": Status.CANCELLED,
}

_OUTPUT: Final[dict[Dialect, dict[Status, str]]] = {
    Dialect.CANONICAL: {s: s.value for s in Status},
    Dialect.SEED002: {
        Status.QUEUED: "queued",
        Status.RUNNING: "processing",
        Status.RETRYING: "processing",
        Status.COMPLETED: "completed",
        Status.FAILED: "error",
        Status.CANCELLED: "error",
    },
    Dialect.SEED001: {
        Status.QUEUED: "pending",
        Status.RUNNING: "running",
        Status.RETRYING: "running",
        Status.COMPLETED: "completed",
        Status.FAILED: "failed",
        Status.CANCELLED: "failed",
    },
    Dialect.SEED003: {
        Status.QUEUED: "pending",
        Status.RUNNING: "running",
        Status.RETRYING: "retrying",
        Status.COMPLETED: "completed",
        Status.FAILED: "failed",
        Status.CANCELLED: "failed",
    },
    Dialect.SEED000: {
        Status.QUEUED: "PENDING",
        Status.RUNNING: "PROCESSING",
        Status.RETRYING: "PROCESSING",
        Status.COMPLETED: "COMPLETED",
        Status.FAILED: "FAILED",
        Status.CANCELLED: "ERROR",
    },
}

ACCEPTED_WORDS: Final = tuple(sorted(_ALIASES))


def parse_status(word: str) -> Status:
    """Map any seed's word for a status to the canonical status.

    Raises ValueError naming the word and the accepted ones, so an endpoint can answer a
    clear 400.
    """
    found = _ALIASES.get(word.strip().lower())
    if found is None:
        raise ValueError(f"unknown status {word!r}; accepted: {', '.join(ACCEPTED_WORDS)}")
    return found


def status_word(status: Status, dialect: Dialect) -> str:
    """The word for a canonical status in a seed's vocabulary."""
    return _OUTPUT[dialect][status]
