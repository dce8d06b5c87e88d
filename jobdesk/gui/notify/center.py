"""The policy at work in the GUI: fed by the store and the engines, ticked by one timer.

The policy is pure and does nothing by itself; this object gives it what happens (store
changes, connection states, away summaries, the tray's pause), wakes it with a single-shot
timer exactly when it says something is due (no polling), shows its notices through the
chosen notifier, and tells the tray when its state changes.

It is also where failures are acknowledged (a key or button in the window, or a
notification's Acknowledge button): the tray's badge drops, the notices about those jobs
are withdrawn, and ``acknowledged_changed`` tells the table (bold rows) and the
controller (which saves the set) to look again.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

from PySide6.QtCore import QObject, Qt, QTimer, Signal

from jobdesk.client.engine import Engine
from jobdesk.core.away import AwaySummary
from jobdesk.core.connection import ConnectionState
from jobdesk.core.notice import Notice, NoticeKind
from jobdesk.core.notify_policy import NotifyPolicy
from jobdesk.core.store import JobKey, StoreChange
from jobdesk.core.tray_state import TrayStatus
from jobdesk.gui.notify.base import Notifier
from jobdesk.gui.notify.bind import ForceFail, OpenJob, bind


class NotificationCenter(QObject):
    status_changed = Signal(object)
    """The tray's ``TrayStatus``, when it changes."""
    acknowledged_changed = Signal()
    """The unacknowledged failures changed: ``is_unacknowledged`` answers differently."""

    def __init__(
        self,
        policy: NotifyPolicy,
        notifier: Notifier,
        *,
        open_job: OpenJob,
        force_fail: ForceFail,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self.policy = policy
        self.notifier = notifier
        self._open_job = open_job
        self._force_fail = force_fail
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.timeout.connect(self._tick)
        self.status: TrayStatus = policy.tray_status()
        self._acknowledged_version = policy.acknowledged_version
        self._closed = False
        self._tags = 0
        self._open: dict[int, set[JobKey]] = {}
        """Each notice shown that is about jobs to acknowledge, by tag: the ones not yet
        acknowledged. Withdrawn when none is left."""

    def close(self) -> None:
        """The monitor is quitting: nothing more is shown, and no timer is left to fire
        into a loop (or a tray icon) that outlives this monitor."""
        self._closed = True
        self._timer.stop()

    @property
    def scheduled(self) -> bool:
        """Whether the timer will wake the policy (something is due)."""
        return self._timer.isActive()

    # --- inputs ------------------------------------------------------------------------

    def watch(self, engine: Engine) -> None:
        """Follow an engine's connection state and away summaries."""
        name = engine.server
        self.connection_changed(name, engine.state.value)
        engine.state.subscribe(lambda state: self.connection_changed(name, state))
        engine.on_away(self.on_away)

    def on_changes(self, changes: list[StoreChange]) -> None:
        """Subscribe this to the store."""
        self.policy.on_changes(changes)
        self._changed()

    def on_away(self, report: AwaySummary) -> None:
        self.policy.on_away(report)
        self._changed()

    def connection_changed(self, server: str, state: ConnectionState) -> None:
        self.policy.connection_changed(server, state)
        self._changed()

    def forget_server(self, server: str) -> None:
        self.policy.forget_server(server)
        self._changed()

    def set_paused(self, paused: bool) -> None:
        """Connect the tray's pause toggle here."""
        self.policy.set_paused(paused)
        self._changed()

    def acknowledge(self, keys: Iterable[JobKey]) -> None:
        """The operator has dealt with these failed jobs (a key, a button, a notification's
        Acknowledge): off the badge, and their notices withdrawn."""
        done = set(keys)
        for key in done:
            self.policy.acknowledge(key)
        for tag, waiting in list(self._open.items()):
            waiting -= done
            if not waiting:
                del self._open[tag]
                self.notifier.withdraw(tag)
        self._changed()

    def acknowledge_all(self) -> None:
        self.acknowledge(self.policy.unacknowledged())

    def restore(self, keys: list[JobKey]) -> None:
        """Failures a previous run left unacknowledged (call before the server is watched)."""
        if keys:
            self.policy.restore(keys)
            self._changed()

    def is_unacknowledged(self, key: JobKey) -> bool:
        """For the table: a failure the operator has not acknowledged yet (shown bold)."""
        return self.policy.is_unacknowledged(key)

    # --- the clockwork -----------------------------------------------------------------

    def _changed(self) -> None:
        if self._closed:
            return
        status = self.policy.tray_status()
        if status != self.status:
            self.status = status
            self.status_changed.emit(status)
        if self.policy.acknowledged_version != self._acknowledged_version:
            self._acknowledged_version = self.policy.acknowledged_version
            self.acknowledged_changed.emit()
        due = self.policy.due_in()
        if due is None:
            self._timer.stop()
        else:
            self._timer.start(math.ceil(due * 1000))

    def _tick(self) -> None:
        for notice in self.policy.tick():
            self._show(notice)
        self._changed()

    def _show(self, notice: Notice) -> None:
        self._tags += 1
        stalled = notice.jobs if notice.kind is NoticeKind.STALLED else ()
        waiting = {k for k in notice.failures if self.is_unacknowledged(k)} or set(stalled)
        if waiting:
            self._open[self._tags] = waiting
        self.notifier.show(
            bind(notice, self._open_job, self._force_fail, self.acknowledge, tag=self._tags)
        )
