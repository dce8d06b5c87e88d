"""Which selected jobs an operator action applies to, and how its outcome reads.

The statuses follow docs/queue.md: a job can be cancelled until it has finished, and
retried once it has failed or been cancelled (a completed job is submitted again, not
retried); force-fail is offered for running (and stale) jobs only. The window enables
an action when any selected job allows it, and the controller sends only those jobs: the
others are counted as skipped rather than sent to be refused one by one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Final

from jobdesk.client.actions import Outcome
from jobdesk.core.store import JobKey
from jobdesk.protocol import Status

CANCELLABLE: Final = frozenset({Status.QUEUED, Status.RETRYING, Status.RUNNING})
RETRYABLE: Final = frozenset({Status.FAILED, Status.CANCELLED})
FORCE_FAILABLE: Final = frozenset({Status.RUNNING})
"""Running jobs, stale ones included (a stale job's status is running). The server would
fail any active job, but a queued or retrying one is not running anything: cancel it."""

StatusOf = Callable[[JobKey], Status | None]


def allows(keys: Iterable[JobKey], status_of: StatusOf, statuses: frozenset[Status]) -> bool:
    """Whether any of ``keys`` is in one of ``statuses`` (stops at the first)."""
    return any(status_of(key) in statuses for key in keys)


def eligible(
    keys: Sequence[JobKey], status_of: StatusOf, statuses: frozenset[Status]
) -> list[JobKey]:
    return [key for key in keys if status_of(key) in statuses]


def by_server(keys: Iterable[JobKey]) -> dict[str, list[str]]:
    """Job ids grouped by server: one request batch per server."""
    grouped: dict[str, list[str]] = {}
    for server, job_id in keys:
        grouped.setdefault(server, []).append(job_id)
    return grouped


def outcome_text(verb: str, outcomes: Sequence[Outcome], skipped: int = 0) -> str:
    """``Cancelled 2 job(s); 1 skipped (not cancellable); refused: job_x: ...``."""
    refused = [f"{o.job_id}: {o.detail}" for o in outcomes if not o.ok]
    text = f"{verb} {len(outcomes) - len(refused)} job(s)"
    if skipped:
        text += f"; {skipped} skipped (status does not allow it)"
    if refused:
        text += f"; refused: {'; '.join(refused)}"
    return text
