"""What the table shows as a job's state: its status, except that an active job the
server marked stale is *stale*, a state of its own.

A stalled job that reads "running" with a blue dot looks healthy; the operator must see
it at a glance, count it apart from the running ones and filter for it. The server keeps
``stale`` as a flag beside the status (a stale job is still running as far as the queue
is concerned), so the state is derived here, in one place, for the table's text, icon,
colour, counts, filter and triage order.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from jobdesk.protocol import JobSummary, Status
from jobdesk.protocol.status import ACTIVE


class State(StrEnum):
    """In the table's order of urgency for active jobs, then the finished ones."""

    QUEUED = "queued"
    RUNNING = "running"
    STALE = "stale"
    RETRYING = "retrying"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


_OF_STATUS: Final = {status: State(status.value) for status in Status}
ACTIVE_STATES: Final = frozenset({State.QUEUED, State.RUNNING, State.STALE, State.RETRYING})


def state_of(job: JobSummary) -> State:
    """``job``'s state: stale when the server flagged an active job as stale."""
    if job.stale and job.status in ACTIVE:
        return State.STALE
    return _OF_STATUS[job.status]
