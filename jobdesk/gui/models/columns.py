"""The job table's columns: what each shows, and the value each sorts by.

Sort values are plain ``str`` / ``float`` so the model can keep its rows as
``(sort value, key)`` tuples that ``bisect`` and ``list.sort`` compare in C, with no
Python called back per comparison. Text columns sort case-insensitively; status and
priority sort by rank, not by word.

With no column chosen (Qt's sort column -1) the rows are in *triage order*: what needs
the operator first (unacknowledged failures, stale, retrying, running, queued jobs, then
the rest), each group most recently updated first (``triage_value``).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Final

from jobdesk.core.store import JobKey
from jobdesk.gui.formatting import ago_text, percent_text, priority_text
from jobdesk.gui.models.states import State, state_of
from jobdesk.protocol import JobSummary, Status
from jobdesk.protocol.models import Priority

SortValue = str | float
"""One column's value for ordering; every job's value in a column has the same type."""
Entry = tuple[SortValue, JobKey]
"""A visible row as the model orders it: the key makes every entry unique, so ties are
broken the same way every time and a row can be found again by bisection."""


class Column(IntEnum):
    NAME = 0
    TYPE = 1
    STATUS = 2
    PROGRESS = 3
    MESSAGE = 4
    OWNER = 5
    PRIORITY = 6
    UPDATED = 7
    SERVER = 8


HEADERS: Final = {
    Column.NAME: "Name",
    Column.TYPE: "Type",
    Column.STATUS: "Status",
    Column.PROGRESS: "Progress",
    Column.MESSAGE: "Message",
    Column.OWNER: "Owner",
    Column.PRIORITY: "Priority",
    Column.UPDATED: "Updated",
    Column.SERVER: "Server",
}

STATE_RANK: Final = {state: float(rank) for rank, state in enumerate(State)}
"""queued < running < stale < retrying < completed < failed < cancelled, the enum's order."""
PRIORITY_RANK: Final = {Priority.LOW: 0.0, Priority.MEDIUM: 1.0, Priority.HIGH: 2.0}

TRIAGE: Final = -1
"""Qt's column for "no sort": the rows are then in triage order."""
_TRIAGE_GROUP: Final = {
    State.STALE: "1",
    State.RETRYING: "2",
    State.RUNNING: "3",
    State.QUEUED: "4",
}
_UNACKNOWLEDGED_FAILURE: Final = "0"
_THE_REST: Final = "5"
_NEWEST_FIRST: Final = str.maketrans("0123456789", "9876543210")
"""Digits mirrored: ISO timestamps of one format then sort newest first, ascending."""


def _folded(text: str) -> str:
    """``text`` case-folded for sorting; ``text`` itself when folding changes nothing
    (most names, types and owners), so the sort value costs no second string: 7 MB at
    100,000 rows sorted by name."""
    folded = text.casefold()
    return text if folded == text else folded


def _first_line(text: str) -> str:
    return text.partition("\n")[0] if "\n" in text else text


def status_text(job: JobSummary) -> str:
    """``retrying 2/3``: the attempts where they say something (an active job on its
    second try or later, or waiting to retry), so a job on its last try stands out;
    otherwise the state alone ("running 1/3" on every first attempt, "completed 1/3" on
    every finished job, were noise: the detail panel has the count)."""
    state = state_of(job)
    if job.max_attempts > 1 and job.status.is_active and job.attempts > 1:
        return f"{state.value} {job.attempts}/{job.max_attempts}"
    if job.status is Status.RETRYING:
        return f"{state.value} {job.attempts}/{job.max_attempts}"
    return state.value


def message_text(job: JobSummary) -> str:
    """A failed job's error (first line) rather than its last progress text: what an
    operator needs to read there is why it failed."""
    if job.status is Status.FAILED and job.error:
        return _first_line(job.error)
    return _first_line(job.message)


SortFunction = Callable[[JobSummary, JobKey], SortValue]


def triage_value(unacknowledged: Callable[[JobKey], bool]) -> SortFunction:
    """The triage order's sort value: the group's digit, then the mirrored timestamp.
    (Not in ``SORT_VALUES``: each model makes its own, with its acknowledgement.)"""
    groups = _TRIAGE_GROUP
    failed = Status.FAILED

    def value(job: JobSummary, key: JobKey) -> SortValue:
        if job.status is failed:
            group = _UNACKNOWLEDGED_FAILURE if unacknowledged(key) else _THE_REST
        else:
            group = groups.get(state_of(job), _THE_REST)
        return group + job.updated_at.translate(_NEWEST_FIRST)

    return value


SORT_VALUES: Final[dict[int, SortFunction]] = {
    Column.NAME: lambda job, key: _folded(job.name),
    Column.TYPE: lambda job, key: _folded(job.job_type),
    Column.STATUS: lambda job, key: STATE_RANK[state_of(job)],
    Column.PROGRESS: lambda job, key: job.progress,
    Column.MESSAGE: lambda job, key: _folded(message_text(job)),
    Column.OWNER: lambda job, key: _folded(job.owner),
    Column.PRIORITY: lambda job, key: PRIORITY_RANK[job.priority],
    Column.UPDATED: lambda job, key: job.updated_at,
    Column.SERVER: lambda job, key: _folded(key[0]),
}

TextFunction = Callable[[JobSummary, JobKey, float], str]

TEXTS: Final[tuple[TextFunction, ...]] = (
    lambda job, key, now: job.name,
    lambda job, key, now: job.job_type,
    lambda job, key, now: status_text(job),
    lambda job, key, now: percent_text(job.progress),
    lambda job, key, now: message_text(job),
    lambda job, key, now: job.owner,
    lambda job, key, now: priority_text(job.priority),
    lambda job, key, now: ago_text(job.updated_at, now),
    lambda job, key, now: key[0],
)
"""The display text of each column, indexed by ``Column``; ``now`` is ``time.time()``."""
