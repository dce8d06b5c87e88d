"""Which jobs the table shows: a status filter and a free-text search.

The search matches name, id, message and metadata (keys and values, nested ones
included), case-insensitively; whitespace separates terms that must all match. Each
job's searchable text is built once into one case-folded string, so a search over
100,000 jobs is 100,000 substring tests in C.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from jobdesk.protocol import JobSummary, Status
from jobdesk.protocol.status import ACTIVE

FIELD_SEPARATOR = "\x1f"
"""Between fields of the searchable text, so a term cannot match across two fields."""


class StatusFilter(StrEnum):
    ACTIVE = "active"
    """queued, running or retrying."""
    COMPLETED = "completed"
    FAILED = "failed"
    """failed or cancelled: the jobs that did not finish their work."""
    ALL = "all"

    @property
    def statuses(self) -> frozenset[Status]:
        return _STATUSES[self]


_STATUSES = {
    StatusFilter.ACTIVE: ACTIVE,
    StatusFilter.COMPLETED: frozenset({Status.COMPLETED}),
    StatusFilter.FAILED: frozenset({Status.FAILED, Status.CANCELLED}),
    StatusFilter.ALL: frozenset(Status),
}


def _words(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield str(key)
            yield from _words(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _words(item)
    elif value is not None:
        yield str(value)


def searchable_text(job: JobSummary) -> str:
    """Everything a search looks at, joined and case-folded."""
    return FIELD_SEPARATOR.join((job.name, job.id, job.message, *_words(job.metadata))).casefold()


def search_terms(text: str) -> tuple[str, ...]:
    """The terms of a search box's text: case-folded, split on whitespace."""
    return tuple(text.casefold().split())
