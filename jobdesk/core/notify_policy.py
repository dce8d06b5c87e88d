"""What to notify, and when: store changes in, a few well-chosen notices out.

Pure and clock-injected, so every rule is a plain test. The rules:

- A transition (completed, failed or cancelled, started, stalled, retrying) is at most one
  event. The status before is the one the store held (``StoreChange.previous``: the
  store passes on only newer versions), so a replay, a duplicate or a new version with
  the same status says nothing new; a job stalls once until its progress moves (or it
  leaves and re-enters running). A stall is either seen here (no progress for
  ``stall_minutes``) or said by the server (its ``stale`` flag turning on).
- Only changes seen while a server is live or polling are notified. The initial load
  (the server was never connected yet) is history, not news; what a reconnect catches up
  on is told by the engine's while-you-were-away summary, as one notice.
- Events collected within ``batch_window`` of the first go out together, paced by
  ``jobdesk.core.notify_pace``: completions summarised once per ``summary_interval``,
  failures and stalls alone within a token budget and folded into the summary beyond it.
- Failures are kept for the tray (live and caught-up ones, not the initial load's) until
  the operator ``acknowledge``s them (looking at a job is not dealing with it); the set
  is handed over by ``restore`` after a restart, and what the server no longer holds as
  failed is dropped at its first sync. Filters and pause affect notices only.

The GUI calls ``tick`` when ``due_in`` says something is due.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import Enum, auto

from jobdesk.core.away import AwaySummary
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.core.notice import FAILED_STATES, EventKind, JobEvent, Notice, away
from jobdesk.core.notify_pace import Pace
from jobdesk.core.store import JobKey, StoreChange
from jobdesk.core.tray_state import TrayStatus, tray_status
from jobdesk.protocol import JobSummary, Status

CONNECTED = frozenset({Transport.LIVE, Transport.POLLING})
BUSY = frozenset({Status.RUNNING, Status.RETRYING})


@dataclass(frozen=True)
class NotifySettings:
    completed: bool = True
    failed: bool = True
    """Failed or cancelled."""
    started: bool = False
    """Queued or retrying to running."""
    stalled: bool = True
    """On by default: a stalled job is the one that looks healthy and is not."""
    stall_minutes: float = 10.0
    """Running with no progress change for this long (as seen by this monitor)."""
    retrying: bool = False
    """An attempt failed and the job will be tried again. Off by default: the retry is
    the queue doing its job, and a job that runs out of attempts is notified as failed
    anyway; a flaky job with ten attempts would otherwise say so ten times."""
    job_types: frozenset[str] | None = None
    """Notify only jobs of these types; None: every type."""
    batch_window: float = 1.0
    """Seconds: events collected this long after the first of a burst go out together."""
    summary_interval: float = 60.0
    """Seconds: at most one summary (of completions, and what the budget folded) per this."""
    rate_burst: int = 3
    """Notices that may go out at once…"""
    rate_interval: float = 15.0
    """…then one per this many seconds: failures and stalls beyond it join the summary."""

    def wants(self, kind: EventKind, job_type: str) -> bool:
        enabled = {
            EventKind.COMPLETED: self.completed,
            EventKind.FAILED: self.failed,
            EventKind.STARTED: self.started,
            EventKind.STALLED: self.stalled,
            EventKind.RETRYING: self.retrying,
        }[kind]
        return enabled and (self.job_types is None or job_type in self.job_types)


class _Mode(Enum):
    INITIAL = auto()
    """Never connected yet: the first load, which is history."""
    CATCH_UP = auto()
    """Reconnecting: the away summary tells what changed."""
    LIVE = auto()


@dataclass(slots=True)
class _Tracked:
    """A running or retrying job: what the tray counts and stalls are looked for in."""

    job: JobSummary
    progress_since: float
    """When this monitor last saw the progress move (or the job enter running)."""
    stalled: bool = False


def transition(before: Status | None, after: Status) -> EventKind | None:
    """The event a status change is, if any (``before`` None: a job seen for the first time)."""
    if after is before or (before in FAILED_STATES and after in FAILED_STATES):
        return None
    if after is Status.COMPLETED:
        return EventKind.COMPLETED
    if after in FAILED_STATES:
        return EventKind.FAILED
    if after is Status.RETRYING:
        return EventKind.RETRYING
    if after is Status.RUNNING and before in (None, Status.QUEUED, Status.RETRYING):
        return EventKind.STARTED
    return None


class NotifyPolicy:
    def __init__(
        self,
        settings: NotifySettings | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._settings = settings or NotifySettings()
        self._pace = Pace(self._settings)
        self._clock = clock
        self._busy: dict[JobKey, _Tracked] = {}
        """Only the running and retrying jobs: a monitor of 100,000 jobs, most of them
        finished, kept one of these per job (28 MB), and counted them all after every
        store batch to find the running ones."""
        self._connections: dict[str, Transport] = {}
        self._ever_connected: set[str] = set()
        self._unacknowledged: dict[JobKey, None] = {}
        """An ordered set: oldest failure first."""
        self._restored: set[JobKey] = set()
        """Restored failures not yet seen in their server's first load."""
        self.acknowledged_version = 0
        """Moves whenever the unacknowledged set changes (the GUI saves it then)."""
        self._pending: list[JobEvent] = []
        self._batch_started = 0.0
        self._ready: list[Notice] = []
        self._paused = False

    @property
    def settings(self) -> NotifySettings:
        return self._settings

    @settings.setter
    def settings(self, settings: NotifySettings) -> None:
        """Replace at any time (the Notifications menu); takes effect from the next event."""
        self._settings = settings
        self._pace.reconfigure(settings)

    # --- inputs ------------------------------------------------------------------------

    def connection_changed(self, server: str, state: ConnectionState) -> None:
        self._connections[server] = state.transport
        if state.transport in CONNECTED and server not in self._ever_connected:
            self._ever_connected.add(server)
            # the first load is in: a restored failure it did not hold is gone
            for key in [k for k in self._restored if k[0] == server]:
                self._restored.discard(key)
                self._drop_unacknowledged(key)

    def restore(self, keys: Iterable[JobKey]) -> None:
        """The unacknowledged failures saved by the last run (before any server connects)."""
        for key in keys:
            self._unacknowledged[key] = None
            self._restored.add(key)
        self.acknowledged_version += 1

    def forget_server(self, server: str) -> None:
        """The server's profile was removed: it no longer counts for the tray."""
        self._connections.pop(server, None)
        self._ever_connected.discard(server)
        for key in [k for k in self._busy if k[0] == server]:
            self._forget(key)
        for key in [k for k in self._unacknowledged if k[0] == server]:
            self._forget(key)
        self._restored = {k for k in self._restored if k[0] != server}

    def on_changes(self, changes: Iterable[StoreChange]) -> None:
        """A batch from ``JobStore.subscribe``."""
        now = self._clock()
        for change in changes:
            key = (change.server, change.job_id)
            if change.job is None:
                self._forget(key)
                continue
            previous = change.previous
            before = previous.status if previous is not None else None
            self._track(key, change.job, now)
            mode = self._mode(change.server)
            stale_now = self._stale_now(key, change.job)
            if mode is _Mode.INITIAL:
                self._check_restored(key, change.job.status)
                continue
            self._note_failure(key, before, change.job.status)
            kind = transition(before, change.job.status)
            if mode is _Mode.LIVE and kind is not None:
                self._collect(JobEvent(kind, key, change.job), now)
            if mode is _Mode.LIVE and stale_now:
                self._collect(JobEvent(EventKind.STALLED, key, change.job), now)

    def on_away(self, report: AwaySummary) -> None:
        """From ``engine.on_away``: one notice, shown at the next ``tick``."""
        if not self._paused:
            self._ready.append(away(report))

    def set_paused(self, paused: bool) -> None:
        """While paused nothing is notified (a pending burst is dropped) and stalls are not
        checked, so unpausing still tells of the jobs that are stalled by then."""
        self._paused = paused
        if paused:
            self._pending.clear()
            self._ready.clear()
            self._pace.clear()

    @property
    def paused(self) -> bool:
        return self._paused

    def acknowledge(self, key: JobKey) -> None:
        """The operator has dealt with this failed job."""
        self._restored.discard(key)
        self._drop_unacknowledged(key)

    # --- outputs -----------------------------------------------------------------------

    def tick(self) -> list[Notice]:
        """The notices due now: away summaries, finished bursts (stalls are found here)."""
        now = self._clock()
        self._find_stalls(now)
        due, self._ready = self._ready, []
        for _ in due:
            self._pace.spend(now)
        several = len(self._connections) > 1
        if self._pending and now >= self._batch_started + self.settings.batch_window:
            events, self._pending = self._pending, []
            due += self._pace.offer(events, now, show_server=several)
        folded = self._pace.take_summary(now, show_server=several)
        if folded is not None:
            due.append(folded)
        return due

    def due_in(self) -> float | None:
        """Seconds until ``tick`` next has something to do (0: now), or None: nothing planned."""
        now = self._clock()
        if self._ready:
            return 0.0
        deadlines = [t.progress_since + self._stall_seconds for _, t in self._may_stall()]
        if self._pending:
            deadlines.append(self._batch_started + self.settings.batch_window)
        folded = self._pace.summary_due(now)
        if folded is not None:
            deadlines.append(folded)
        return max(0.0, min(deadlines) - now) if deadlines else None

    def unacknowledged(self) -> tuple[JobKey, ...]:
        """Failed jobs the operator has not acknowledged, oldest first."""
        return tuple(self._unacknowledged)

    def is_unacknowledged(self, key: JobKey) -> bool:
        return key in self._unacknowledged

    def tray_status(self) -> TrayStatus:
        stale = sum(1 for t in self._busy.values() if t.stalled or t.job.stale)
        return tray_status(
            self._connections, len(self._unacknowledged), len(self._busy) - stale, stale
        )

    # --- the rules ---------------------------------------------------------------------

    def _mode(self, server: str) -> _Mode:
        if self._connections.get(server) in CONNECTED:
            return _Mode.LIVE
        return _Mode.CATCH_UP if server in self._ever_connected else _Mode.INITIAL

    def _track(self, key: JobKey, job: JobSummary, now: float) -> None:
        if job.status not in BUSY:
            self._busy.pop(key, None)
            return
        tracked = self._busy.get(key)
        if (
            tracked is None
            or tracked.job.status is not job.status
            or tracked.job.progress != job.progress
        ):
            self._busy[key] = _Tracked(job, now)
        else:
            tracked.job = job

    def _stale_now(self, key: JobKey, job: JobSummary) -> bool:
        """Whether the server just marked this running job stale (a stall not yet told)."""
        tracked = self._busy.get(key)
        if tracked is None or not job.stale or tracked.stalled or job.status is not Status.RUNNING:
            return False
        tracked.stalled = True
        return True

    def _forget(self, key: JobKey) -> None:
        self._busy.pop(key, None)
        self._drop_unacknowledged(key)

    def _drop_unacknowledged(self, key: JobKey) -> None:
        if self._unacknowledged.pop(key, 0) is None:
            self.acknowledged_version += 1

    def _check_restored(self, key: JobKey, status: Status) -> None:
        """The first load holds a restored failure: kept if still failed."""
        if key in self._restored:
            self._restored.discard(key)
            if status not in FAILED_STATES:
                self._drop_unacknowledged(key)

    def _note_failure(self, key: JobKey, before: Status | None, after: Status) -> None:
        if after not in FAILED_STATES:
            self._drop_unacknowledged(key)  # retried: no longer a failure
        elif before not in FAILED_STATES:
            self._unacknowledged[key] = None
            self.acknowledged_version += 1

    def _collect(self, event: JobEvent, now: float) -> None:
        if self._paused or not self.settings.wants(event.kind, event.job.job_type):
            return
        if not self._pending:
            self._batch_started = now
        self._pending.append(event)

    @property
    def _stall_seconds(self) -> float:
        return self.settings.stall_minutes * 60.0

    def _may_stall(self) -> list[tuple[JobKey, _Tracked]]:
        """The jobs worth checking: running, not stalled yet, on a connected server."""
        if not self.settings.stalled or self._paused:
            return []
        return [
            (key, t)
            for key, t in self._busy.items()
            if t.job.status is Status.RUNNING and not t.stalled and self._mode(key[0]) is _Mode.LIVE
        ]

    def _find_stalls(self, now: float) -> None:
        for key, t in self._may_stall():
            if now - t.progress_since >= self._stall_seconds:
                t.stalled = True
                self._collect(JobEvent(EventKind.STALLED, key, t.job), now)
