"""Which jobs the table shows: a status filter and a free-text search.

The search matches what the columns show (name, type, state, message, owner, priority,
server), the id, the error in full, the log's newest warning or error and the metadata
(keys and values, nested ones included), case-insensitively; whitespace separates terms
that must all match. Each job's searchable text is built once into one case-folded
string, so a search over 100,000 jobs is 100,000 substring tests in C.
"""

from __future__ import annotations

from collections.abc import Iterator
from enum import StrEnum
from typing import Any

from jobdesk.gui.models.states import ACTIVE_STATES, State, state_of
from jobdesk.protocol import JobSummary

FIELD_SEPARATOR = "\x1f"
"""Between fields of the searchable text, so a term cannot match across two fields."""


class StatusFilter(StrEnum):
    ACTIVE = "active"
    """queued, running (stale included) or retrying."""
    STALE = "stale"
    """Active jobs the server marked stale: no report for a while."""
    COMPLETED = "completed"
    FAILED = "failed"
    """failed or cancelled: the jobs that did not finish their work."""
    ALL = "all"

    @property
    def states(self) -> frozenset[State]:
        return _STATES[self]


_STATES = {
    StatusFilter.ACTIVE: ACTIVE_STATES,
    StatusFilter.STALE: frozenset({State.STALE}),
    StatusFilter.COMPLETED: frozenset({State.COMPLETED}),
    StatusFilter.FAILED: frozenset({State.FAILED, State.CANCELLED}),
    StatusFilter.ALL: frozenset(State),
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


def searchable_text(job: JobSummary, server: str) -> str:
    """Everything a search looks at, joined and case-folded: what every column shows
    (the Updated age excepted), the id, the error in full, the newest warning or error
    the log told (``last_problem``: the summary keeps no log) and the metadata."""
    return FIELD_SEPARATOR.join(
        (
            job.name,
            job.id,
            job.job_type,
            state_of(job).value,
            job.message,
            job.error or "",
            job.last_problem or "",
            job.owner,
            job.priority.value,
            server,
            *_words(job.metadata),
        )
    ).casefold()


def search_terms(text: str) -> tuple[str, ...]:
    """The terms of a search box's text: case-folded, split on whitespace."""
    return tuple(text.casefold().split())
