"""The job table's columns: what each shows, and the value each sorts by.

Sort values are plain ``str`` / ``float`` so the model can keep its rows as
``(sort value, key)`` tuples that ``bisect`` and ``list.sort`` compare in C, with no
Python called back per comparison. Text columns sort case-insensitively; status and
priority sort by rank, not by word.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import Final

from jobdesk.core.store import JobKey
from jobdesk.gui.models.ages import ago_text
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

STATUS_RANK: Final = {status: float(rank) for rank, status in enumerate(Status)}
"""queued < running < retrying < completed < failed < cancelled, the enum's order."""
PRIORITY_RANK: Final = {Priority.LOW: 0.0, Priority.MEDIUM: 1.0, Priority.HIGH: 2.0}

UNSORTED: Final = -1
"""Qt's column for "no sort": rows then follow their keys (server, then job id)."""


def _folded(text: str) -> str:
    """``text`` case-folded for sorting; ``text`` itself when folding changes nothing
    (most names, types and owners), so the sort value costs no second string: 7 MB at
    100,000 rows sorted by name."""
    folded = text.casefold()
    return text if folded == text else folded


def _first_line(text: str) -> str:
    return text.partition("\n")[0] if "\n" in text else text


def _status_text(job: JobSummary) -> str:
    """``retrying 2/3``: the attempts where they mean something (a job allowed more than
    one), so a job that is on its last try stands out; otherwise the status alone."""
    if job.max_attempts > 1:
        return f"{job.status.value} {job.attempts}/{job.max_attempts}"
    return job.status.value


SortFunction = Callable[[JobSummary, JobKey], SortValue]

SORT_VALUES: Final[dict[int, SortFunction]] = {
    UNSORTED: lambda job, key: 0.0,
    Column.NAME: lambda job, key: _folded(job.name),
    Column.TYPE: lambda job, key: _folded(job.job_type),
    Column.STATUS: lambda job, key: STATUS_RANK[job.status],
    Column.PROGRESS: lambda job, key: job.progress,
    Column.MESSAGE: lambda job, key: _folded(job.message),
    Column.OWNER: lambda job, key: _folded(job.owner),
    Column.PRIORITY: lambda job, key: PRIORITY_RANK[job.priority],
    Column.UPDATED: lambda job, key: job.updated_at,
    Column.SERVER: lambda job, key: _folded(key[0]),
}

TextFunction = Callable[[JobSummary, JobKey, float], str]

TEXTS: Final[tuple[TextFunction, ...]] = (
    lambda job, key, now: job.name,
    lambda job, key, now: job.job_type,
    lambda job, key, now: _status_text(job),
    lambda job, key, now: f"{job.progress:.0f}%",
    lambda job, key, now: _first_line(job.message),
    lambda job, key, now: job.owner,
    lambda job, key, now: job.priority.value.lower(),
    lambda job, key, now: ago_text(job.updated_at, now),
    lambda job, key, now: key[0],
)
"""The display text of each column, indexed by ``Column``; ``now`` is ``time.time()``."""
