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
from jobdesk.core.eta import format_duration
from jobdesk.core.store import JobKey
from jobdesk.protocol import JobSummary, Status
from jobdesk.protocol.timestamps import parse_timestamp

FAILED_STATES = frozenset({Status.FAILED, Status.CANCELLED})
"""What counts as a failure for notices and the tray: a cancelled job did not finish either."""

NAMES_SHOWN = 3
"""How many names of completed (or started, retrying) jobs a summary lists before "and N more"."""
FAILURES_SHOWN = 8
"""How many failed or stalled jobs a summary names, each with its error: every failure is
told, so this is set well above what the rate limit folds into one summary in practice."""


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
    ACKNOWLEDGE = "acknowledge"
    """The operator has dealt with the failures in ``Notice.failures``."""


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
    failures: tuple[JobKey, ...] = ()
    """The failed jobs among them: the notice is withdrawn once all are acknowledged."""


def first_line(text: str | None) -> str:
    """The error's first line: a traceback's last line is usually what matters, but the
    first is the message the worker chose; the rest is in the detail panel."""
    lines = (text or "").strip().splitlines()
    return lines[0].strip() if lines else "no reason given"


def duration(job: JobSummary) -> str | None:
    """How long the job ran (started to finished, or to its last update), when known."""
    if job.started_at is None:
        return None
    end = job.finished_at or job.updated_at
    try:
        seconds = (parse_timestamp(end) - parse_timestamp(job.started_at)).total_seconds()
    except ValueError:
        return None
    return format_duration(max(0.0, seconds))


def facts(event: JobEvent, show_server: bool) -> str:
    """What tells this job apart from its neighbours: ``alice · 2 min · llm_agent on prod``."""
    job = event.job
    parts = [job.owner] if job.owner else []
    took = duration(job)
    if took is not None:
        parts.append(took)
    parts.append(f"{job.job_type} on {event.key[0]}" if show_server else job.job_type)
    return " · ".join(parts)


def single(event: JobEvent, stall_minutes: float, *, show_server: bool = False) -> Notice:
    """The notice for one event: the job's name in the title, what tells it apart below."""
    job, key, about = event.job, event.key, facts(event, show_server)
    actions: tuple[NoticeAction, ...] = (NoticeAction.OPEN,)
    failures: tuple[JobKey, ...] = ()
    if event.kind is EventKind.COMPLETED:
        title, body, urgency = f"Completed: {job.name}", about, Urgency.NORMAL
    elif event.kind is EventKind.FAILED:
        verb = "Cancelled" if job.status is Status.CANCELLED else "Failed"
        title, body = f"{verb}: {job.name}", f"{first_line(job.error)}\n{about}"
        urgency, failures = Urgency.CRITICAL, (key,)
        actions = (NoticeAction.OPEN, NoticeAction.ACKNOWLEDGE)
    elif event.kind is EventKind.STARTED:
        title, body, urgency = f"Started: {job.name}", about, Urgency.LOW
    elif event.kind is EventKind.RETRYING:
        title, body = f"Retrying: {job.name}", f"{retry_reason(job)}\n{about}"
        urgency = Urgency.NORMAL
    else:
        why = (
            "the server marked it stale" if job.stale else f"no progress for {stall_minutes:g} min"
        )
        title, body = f"Stalled: {job.name}", f"{why}, at {job.progress:.0f}%\n{about}"
        urgency, actions = Urgency.NORMAL, (NoticeAction.OPEN, NoticeAction.FORCE_FAIL)
    return Notice(
        NoticeKind(event.kind.value), title, body, urgency, key, actions, (key,), failures
    )


def retry_reason(job: JobSummary) -> str:
    """``attempt 2 of 3 failed: disk full``: the attempt that just ended (a retrying job
    holds its number and its error; the history itself is not in a summary)."""
    return f"attempt {job.attempts} of {job.max_attempts} failed: {first_line(job.error)}"


def _names(names: Sequence[str], shown: int) -> str:
    listed = ", ".join(names[:shown])
    rest = len(names) - shown
    return f"{listed} and {rest} more" if rest > 0 else listed


TOLD_ONE_BY_ONE = (EventKind.FAILED, EventKind.STALLED)
"""What a summary names one by one (with the reason): what an operator must act on."""


def summary(events: Sequence[JobEvent], *, show_server: bool = False) -> Notice:
    """One notice for many events: ``12 completed, 1 failed``; the failed and stalled jobs
    each named with their reason, a few of the others by name."""
    counts = Counter(e.kind for e in events)
    title = ", ".join(f"{counts[k]} {k.value}" for k in EventKind if counts[k])
    urgent = [e for e in events if e.kind in TOLD_ONE_BY_ONE]
    lines = [_told(e, show_server) for e in urgent[:FAILURES_SHOWN]]
    if len(urgent) > FAILURES_SHOWN:
        lines.append(f"and {len(urgent) - FAILURES_SHOWN} more failed or stalled")
    others = [e.job.name for e in events if e.kind not in TOLD_ONE_BY_ONE]
    if others:
        lines.append(_names(others, NAMES_SHOWN))
    failed = tuple(e.key for e in events if e.kind is EventKind.FAILED)
    if failed:
        urgency = Urgency.CRITICAL
    elif set(counts) == {EventKind.STARTED}:
        urgency = Urgency.LOW
    else:
        urgency = Urgency.NORMAL
    actions = (NoticeAction.OPEN, NoticeAction.ACKNOWLEDGE) if failed else (NoticeAction.OPEN,)
    return Notice(
        NoticeKind.SUMMARY,
        title,
        "\n".join(lines),
        urgency,
        failed[0] if failed else None,
        actions,
        jobs=tuple(e.key for e in events),
        failures=failed,
    )


def _told(event: JobEvent, show_server: bool) -> str:
    job = event.job
    where = f" on {event.key[0]}" if show_server else ""
    if event.kind is EventKind.STALLED:
        return f"stalled: {job.name}{where}"
    verb = "cancelled" if job.status is Status.CANCELLED else "failed"
    return f"{verb}: {job.name}{where}: {first_line(job.error)}"


def away(report: AwaySummary) -> Notice:
    """``While you were away: prod`` / ``3 completed, 1 failed``; Open selects a failure."""
    failed = tuple((report.server, c.job_id) for c in report.changes if c.after in FAILED_STATES)
    return Notice(
        NoticeKind.AWAY,
        f"While you were away: {report.server}",
        report.describe(),
        Urgency.CRITICAL if failed else Urgency.NORMAL,
        failed[0] if failed else None,
        (NoticeAction.OPEN, NoticeAction.ACKNOWLEDGE) if failed else (NoticeAction.OPEN,),
        jobs=tuple((report.server, c.job_id) for c in report.changes),
        failures=failed,
    )
