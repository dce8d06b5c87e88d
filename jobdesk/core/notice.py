"""What a notification says: the words, urgency and actions of each notice.

Kept apart from ``notify_policy`` (which decides *whether* and *when* to notify) so the
wording can change without touching the rules, and the rules' tests need not match
sentences. Qt-free: the GUI turns a ``Notice`` into a desktop or tray notification.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from jobdesk.core.away import AwaySummary
from jobdesk.core.store import JobKey
from jobdesk.protocol import JobSummary, Status

FAILED_STATES = frozenset({Status.FAILED, Status.CANCELLED})
"""What counts as a failure for notices and the tray: a cancelled job did not finish either."""

NAMES_SHOWN = 3
"""How many job names a summary lists before "and N more"."""


class EventKind(StrEnum):
    """A transition worth telling the operator about (each can be switched off)."""

    COMPLETED = "completed"
    FAILED = "failed"
    """Failed or cancelled."""
    STARTED = "started"
    STALLED = "stalled"
    RETRYING = "retrying"
    """An attempt failed and the job will be tried again."""


@dataclass(frozen=True)
class JobEvent:
    kind: EventKind
    key: JobKey
    job: JobSummary


class NoticeKind(StrEnum):
    COMPLETED = "completed"
    FAILED = "failed"
    STARTED = "started"
    STALLED = "stalled"
    RETRYING = "retrying"
    SUMMARY = "summary"
    """Several events of one burst, in one notice."""
    AWAY = "away"
    """What changed while the connection was down."""


class Urgency(StrEnum):
    LOW = "low"
    NORMAL = "normal"
    CRITICAL = "critical"


class NoticeAction(StrEnum):
    OPEN = "open"
    """Show the window and select ``Notice.job`` (or just show it, when None)."""
    FORCE_FAIL = "force_fail"
    """Force-fail ``Notice.job`` (offered on a stalled job)."""


@dataclass(frozen=True)
class Notice:
    kind: NoticeKind
    title: str
    body: str
    urgency: Urgency
    job: JobKey | None = None
    """The job the actions act on."""
    actions: tuple[NoticeAction, ...] = (NoticeAction.OPEN,)
    jobs: tuple[JobKey, ...] = ()
    """Every job the notice is about."""


def _where(event: JobEvent) -> str:
    return f"{event.job.job_type} on {event.key[0]}"


def single(event: JobEvent, stall_minutes: float) -> Notice:
    """The notice for one event."""
    job, key, where = event.job, event.key, _where(event)
    if event.kind is EventKind.COMPLETED:
        title, body, urgency = f"Completed: {job.name}", where, Urgency.NORMAL
    elif event.kind is EventKind.FAILED:
        verb = "Cancelled" if job.status is Status.CANCELLED else "Failed"
        reason = job.error or "no reason given"
        title, body, urgency = f"{verb}: {job.name}", f"{reason} ({where})", Urgency.CRITICAL
    elif event.kind is EventKind.STARTED:
        title, body, urgency = f"Started: {job.name}", where, Urgency.LOW
    elif event.kind is EventKind.RETRYING:
        title, body = f"Retrying: {job.name}", f"{retry_reason(job)} ({where})"
        urgency = Urgency.NORMAL
    else:
        return Notice(
            NoticeKind.STALLED,
            f"Stalled: {job.name}",
            f"no progress for {stall_minutes:g} min, at {job.progress:.0f}% ({where})",
            Urgency.NORMAL,
            key,
            (NoticeAction.OPEN, NoticeAction.FORCE_FAIL),
            (key,),
        )
    return Notice(NoticeKind(event.kind.value), title, body, urgency, key, jobs=(key,))


def retry_reason(job: JobSummary) -> str:
    """``attempt 2 of 3 failed: disk full``: the attempt that just ended (a retrying job
    holds its number and its error; the history itself is not in a summary)."""
    error = job.error or "no reason given"
    return f"attempt {job.attempts} of {job.max_attempts} failed: {error}"


def _names(names: Sequence[str]) -> str:
    shown = ", ".join(names[:NAMES_SHOWN])
    rest = len(names) - NAMES_SHOWN
    return f"{shown} and {rest} more" if rest > 0 else shown


def summary(events: Sequence[JobEvent]) -> Notice:
    """One notice for a burst: ``50 jobs completed``, or ``52 job updates`` when mixed."""
    counts = Counter(e.kind for e in events)
    names = _names([e.job.name for e in events])
    if len(counts) == 1:
        title, body = f"{len(events)} jobs {events[0].kind.value}", names
    else:
        parts = ", ".join(f"{counts[k]} {k.value}" for k in EventKind if counts[k])
        title, body = f"{len(events)} job updates", f"{parts}: {names}"
    failed = [e.key for e in events if e.kind is EventKind.FAILED]
    if failed:
        urgency = Urgency.CRITICAL
    elif set(counts) == {EventKind.STARTED}:
        urgency = Urgency.LOW
    else:
        urgency = Urgency.NORMAL
    return Notice(
        NoticeKind.SUMMARY,
        title,
        body,
        urgency,
        failed[0] if failed else None,
        jobs=tuple(e.key for e in events),
    )


def away(report: AwaySummary) -> Notice:
    """``While you were away: prod`` / ``3 completed, 1 failed``; Open selects a failure."""
    failed = [c.job_id for c in report.changes if c.after in FAILED_STATES]
    return Notice(
        NoticeKind.AWAY,
        f"While you were away: {report.server}",
        report.describe(),
        Urgency.CRITICAL if failed else Urgency.NORMAL,
        (report.server, failed[0]) if failed else None,
        jobs=tuple((report.server, c.job_id) for c in report.changes),
    )
