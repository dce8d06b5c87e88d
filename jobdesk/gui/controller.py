"""Wires the monitor together: engines, store, table, detail panel, actions, dialogs.

Runs on the qasync loop, so Qt signals and asyncio tasks meet here and nowhere else:
widgets emit requests, the controller turns them into tasks (jobdesk.client), and the
results come back through the store.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QInputDialog, QLineEdit, QMessageBox

from jobdesk.client.actions import OperatorActions, Outcome
from jobdesk.client.capabilities import JOBDESK, Can, Capabilities
from jobdesk.client.details import Detail, DetailFollower
from jobdesk.client.monitor import Monitor, ServerProfile
from jobdesk.client.preferences import Preferences
from jobdesk.client.profiles import ProfileStore
from jobdesk.client.settings import EngineSettings
from jobdesk.core.notify_policy import NotifyPolicy, NotifySettings
from jobdesk.core.store import JobKey, JobStore, StoreChange
from jobdesk.gui.autostart import Autostart, supported
from jobdesk.gui.autostart_action import AutostartToggle
from jobdesk.gui.eta_tracker import EtaTracker
from jobdesk.gui.history_wiring import HistoryWiring
from jobdesk.gui.job_actions import (
    CANCELLABLE,
    FORCE_FAILABLE,
    RETRYABLE,
    by_server,
    eligible,
    outcome_text,
)
from jobdesk.gui.main_window import MainWindow
from jobdesk.gui.models import Column, JobTableModel, ProgressDelegate
from jobdesk.gui.new_job_flow import NewJobFlow
from jobdesk.gui.notify import DesktopNotifier, NotificationCenter, choose_notifier
from jobdesk.gui.notify_menu import NotificationsMenu
from jobdesk.gui.tray import Tray
from jobdesk.gui.workers_wiring import WorkersWiring
from jobdesk.protocol import Status

log = logging.getLogger(__name__)


class Controller:
    def __init__(
        self, profiles: ProfileStore | None = None, *, settings: EngineSettings | None = None
    ) -> None:
        """``settings``: the engines' timings and page sizes (tests shrink them)."""
        self.store = JobStore()
        self.monitor = Monitor(self.store, settings)
        self.profiles_store = profiles
        self.profiles: dict[str, ServerProfile] = {}
        self.model = JobTableModel(
            self.store,
            is_live=self._is_live,
            unacknowledged=self._is_unacknowledged,
            capabilities_of=self._capabilities_of,
        )
        self.window = MainWindow(self.model, self.model)
        self.window.backend_can = self._backend_can
        self.eta = EtaTracker()
        self.store.subscribe(self.eta.changed)
        self.store.subscribe(self._store_changed)
        self._tasks: set[asyncio.Task[Any]] = set()
        self._selected: list[JobKey] = []
        self._selected_set: set[JobKey] = set()
        self._selection_touched = False
        """A selected job changed in the store: refresh the actions once the table has it."""
        self.new_job = NewJobFlow(
            self.window, self.store, self._submitting_servers, self.monitor.submit, self._spawn
        )
        self.details = DetailFollower(self.store, self.monitor.fetch_job, self._detail_arrived)
        """The selected job fetched whole for the detail panel (the store keeps summaries)."""
        self._detail: Detail | None = None
        self._spawn(self.details.run())
        self.workers = WorkersWiring(
            self.window.views.workers, self.window.detail, self.store, self.monitor, self._spawn
        )
        self.history = HistoryWiring(
            self.window.views.history, self.store, self.monitor, self._spawn
        )
        """The History view (Ctrl+3): the servers' finished jobs, asked for page by page."""
        self.closed = asyncio.Event()
        w = self.window
        w.selection_changed.connect(self._selection_changed)
        w.acknowledge_requested.connect(lambda keys: self.center.acknowledge(keys))
        w.force_fail_requested.connect(lambda keys: self._spawn(self._force_fail(keys)))
        w.cancel_requested.connect(lambda keys: self._spawn(self._cancel(keys)))
        w.retry_requested.connect(lambda keys: self._spawn(self._retry(keys)))
        w.new_job_requested.connect(
            lambda: self.new_job.open(self._selected[0][0] if self._selected else None)
        )
        w.cleanup_requested.connect(self._confirm_cleanup)
        w.refresh_requested.connect(self._refresh)
        w.quit_requested.connect(self.quit)
        self.model.counts_changed.connect(self._show_counts)
        self.model.batch_applied.connect(self._batch_applied)
        self.window.table.setItemDelegateForColumn(
            Column.PROGRESS, ProgressDelegate(self.window.table)
        )
        self._attach_tray_and_notifications()
        self._attach_autostart()

    def _attach_autostart(self) -> None:
        """File > Start at login, where the desktop reads freedesktop autostart entries."""
        self.autostart = AutostartToggle(self.window.autostart_action, Autostart(), self.window)
        self.autostart.failed.connect(lambda text: self.window.statusBar().showMessage(text))
        self.window.file_menu.aboutToShow.connect(self.autostart.refresh)
        self.window.autostart_action.setVisible(supported())

    def _attach_tray_and_notifications(self) -> None:
        """Without a tray host, closing the window quits instead of hiding it."""
        self.tray = Tray(self.window)
        self.window.hide_on_close = self.tray.available
        self.notifier = choose_notifier(self.tray.tray_icon, loop=asyncio.get_running_loop())
        self.preferences = Preferences()
        self._saved_unacknowledged = self.preferences.load_unacknowledged()
        """Restored per server as each is watched: a restart keeps the badge."""
        self._watched: set[str] = set()
        self.center = NotificationCenter(
            NotifyPolicy(self.preferences.load_notify()),
            self.notifier,
            open_job=self._open_job,
            force_fail=lambda key: self._spawn(self._force_fail([key])),
        )
        self.store.subscribe(self.center.on_changes)
        self.center.acknowledged_changed.connect(self._save_unacknowledged)
        self.center.acknowledged_changed.connect(self.model.refresh_acknowledged)
        self.center.status_changed.connect(self.tray.set_status)
        self.tray.pause_toggled.connect(self.center.set_paused)
        self.tray.acknowledge_all_requested.connect(self.center.acknowledge_all)
        self.tray.show_window_requested.connect(self.show_window)
        self.tray.hide_window_requested.connect(self.hide_window)
        self.tray.quit_requested.connect(self.quit)
        menu = NotificationsMenu(self.center.policy.settings, self.window)
        menu.addSeparator()
        menu.addAction(self.tray.pause_action)
        menu.changed.connect(self._notify_settings_changed)
        self.window.menuBar().addMenu(menu)

    def _is_unacknowledged(self, key: JobKey) -> bool:
        """For the table (bold rows, failures first); the center exists once the tray
        does, which needs the window, which needs the table: until then, none is."""
        center: NotificationCenter | None = getattr(self, "center", None)
        return center is not None and center.is_unacknowledged(key)

    def _save_unacknowledged(self) -> None:
        try:
            self.preferences.save_unacknowledged(
                self.center.policy.unacknowledged(), servers=self._watched
            )
        except OSError as exc:
            self.window.statusBar().showMessage(f"Cannot save the acknowledgements: {exc}", 10_000)

    def _notify_settings_changed(self, settings: NotifySettings) -> None:
        self.center.policy.settings = settings
        try:
            self.preferences.save_notify(settings)
        except OSError as exc:
            self.window.statusBar().showMessage(f"Cannot save the settings: {exc}", 10_000)

    def show_window(self) -> None:
        """Bring the window back (from the tray, minimised, or behind others), keeping
        it maximised if it was."""
        window = self.window
        window.setWindowState(window.windowState() & ~Qt.WindowState.WindowMinimized)
        window.show()
        window.raise_()
        window.activateWindow()
        self.tray.set_window_visible(True)

    def hide_window(self) -> None:
        self.window.hide()
        self.tray.set_window_visible(False)

    def _open_job(self, key: JobKey | None) -> None:
        """A notification's Open button: bring the window, select the job."""
        self.show_window()
        if key is not None:
            self.window.select(key)

    # --- servers -----------------------------------------------------------------------

    def watch(self, profile: ServerProfile) -> None:
        self.profiles[profile.name] = profile
        if profile.name not in self._watched:
            self._watched.add(profile.name)
            saved = [k for k in self._saved_unacknowledged if k[0] == profile.name]
            self.center.restore(saved)
        engine = self.monitor.add(profile)
        self.center.watch(engine)
        status = self.window.status.server(profile.name)
        status.set_capabilities(engine.capabilities)
        status.set_token_missing(not profile.token)
        engine.state.subscribe(status.set_state)
        engine.state.subscribe(lambda _: self.model.refresh_staleness())
        engine.state.subscribe(lambda _: self._show_selected())  # the ETA, the note
        status.token_requested.connect(self._ask_token)
        self._offer_actions()
        self.history.servers_changed()

    async def replace(self, profiles: list[ServerProfile]) -> None:
        """The servers dialog was saved: watch exactly these servers now. A server whose
        name and URL stay keeps its engine, its jobs and its unacknowledged failures (a
        new token only goes to the engine): restarting it reloaded its jobs as a first
        load, which is history, and the failure badge fell to 0."""
        wanted = {p.name: p for p in profiles}
        for name in list(self.monitor.engines):
            kept, old = wanted.get(name), self.profiles[name]
            if kept is not None and (kept.url, kept.kind, kept.options) == (
                old.url,
                old.kind,
                old.options,
            ):
                if kept.token != self.profiles[name].token:
                    self.monitor.engines[name].set_token(kept.token)
                self.profiles[name] = kept
                continue
            await self.monitor.remove(name)
            self.center.forget_server(name)
            self.window.status.remove_server(name)
            del self.profiles[name]
        for profile in profiles:
            if profile.name not in self.monitor.engines:
                self.watch(profile)
        self._offer_actions()
        self.history.servers_changed()

    def _offer_actions(self) -> None:
        """The window shows the actions some watched backend offers, and only those."""
        offered = Can(0)
        for engine in self.monitor.engines.values():
            offered |= engine.capabilities.can
        self.window.offer_actions(offered)

    def _submitting_servers(self) -> list[str]:
        return [name for name in self.profiles if self._backend_can(name, Can.SUBMIT)]

    def _backend_can(self, server: str, can: Can) -> bool:
        return can in self._capabilities_of(server)

    def _capabilities_of(self, server: str) -> Capabilities:
        engine = self.monitor.engines.get(server)
        return JOBDESK if engine is None else engine.capabilities

    def _is_live(self, server: str) -> bool:
        """Whether what the monitor shows of ``server`` is current (rows are greyed, ETAs
        stopped, when it is not)."""
        engine = self.monitor.engines.get(server)
        return engine is not None and engine.state.value.trusted

    def _ask_token(self, server: str) -> None:
        """Non-modal: a modal exec() inside the qasync loop would deadlock it."""
        dialog = QInputDialog(self.window)
        dialog.setWindowTitle(f"Token for {server}")
        dialog.setLabelText(f"The server {server} refused the token. Enter a new one:")
        dialog.setTextEchoMode(QLineEdit.EchoMode.Password)
        dialog.textValueSelected.connect(lambda token: self._set_token(server, token.strip()))
        dialog.open()

    def _set_token(self, server: str, token: str) -> None:
        if not token or server not in self.monitor.engines:
            return
        self.monitor.engines[server].set_token(token)
        self.window.status.server(server).set_token_missing(False)
        self.profiles[server] = dataclasses.replace(self.profiles[server], token=token)
        if self.profiles_store is not None:
            self.profiles_store.set_token(server, token)

    # --- the selected job --------------------------------------------------------------

    def _selection_changed(self, keys: list[JobKey]) -> None:
        self._selected = keys
        self._selected_set = set(keys)
        self.details.follow(keys[0] if keys else None)
        self._show_selected()

    def _store_changed(self, changes: list[StoreChange]) -> None:
        if not self._selected:
            return
        if any((c.server, c.job_id) == self._selected[0] for c in changes):
            self._show_selected()
        selected = self._selected_set
        if not self._selection_touched:
            self._selection_touched = any((c.server, c.job_id) in selected for c in changes)

    def _batch_applied(self) -> None:
        """The table applied a batch: the enabled actions follow the statuses it shows,
        and a job just submitted may have arrived."""
        if self._selection_touched:
            self._selection_touched = False
            self.window.refresh_job_actions()
        self.new_job.table_updated()

    def _detail_arrived(self, detail: Detail) -> None:
        self._detail = detail
        if self._selected and self._selected[0] == detail.key:
            self._show_selected()

    def _show_selected(self) -> None:
        if not self._selected:
            self.window.detail.show_job(None)
            self.workers.show_selected(None, None)
            return
        key = self._selected[0]
        job = self.store.get(key)
        self.workers.show_selected(key, job)
        live = self._is_live(key[0])
        eta = "" if job is None or not live else self.eta.eta_text(key, job.progress)
        stale = "" if live else "(server not reachable: data may be old)"
        detail = self._detail if self._detail is not None and self._detail.key == key else None
        note = ""
        if detail is not None and detail.missing:
            note = "The server no longer has this job's log and attempts (removed by retention)."
        elif detail is not None and detail.error:
            note = f"Log and attempts not refreshed: {detail.error}"
        self.window.detail.show_job(
            job,
            detail=detail.job if detail is not None else None,
            detail_note=note,
            eta=eta,
            stale_note=stale,
        )

    def _show_counts(self) -> None:
        self.window.status.set_counts(self.model.state_counts())

    # --- operator actions --------------------------------------------------------------

    async def _force_fail(self, keys: list[JobKey]) -> None:
        await self._act(
            keys, FORCE_FAILABLE, "Force-failed", lambda actions, ids: actions.force_fail(ids)
        )

    async def _cancel(self, keys: list[JobKey]) -> None:
        await self._act(keys, CANCELLABLE, "Cancelled", lambda actions, ids: actions.cancel(ids))

    async def _retry(self, keys: list[JobKey]) -> None:
        await self._act(keys, RETRYABLE, "Retried", lambda actions, ids: actions.retry(ids))

    async def _act(
        self,
        keys: list[JobKey],
        statuses: frozenset[Status],
        verb: str,
        call: Callable[[OperatorActions, list[str]], Awaitable[list[Outcome]]],
    ) -> None:
        """Send the action for the jobs whose status allows it, one batch per server;
        the outcome goes to the status bar, its effect comes back through the store."""

        def status_of(key: JobKey) -> Status | None:
            job = self.store.get(key)
            return None if job is None else job.status

        chosen = eligible(keys, status_of, statuses)
        outcomes: list[Outcome] = []
        for server, ids in by_server(chosen).items():
            profile = self.profiles.get(server)
            if profile is None:
                outcomes += [Outcome(i, False, f"{server} is no longer watched") for i in ids]
                continue
            outcomes += await call(OperatorActions(self._url_of(server), profile.token), ids)
        message = outcome_text(verb, outcomes, skipped=len(keys) - len(chosen))
        self.window.statusBar().showMessage(message, 10_000)

    def _confirm_cleanup(self) -> None:
        server = self._selected[0][0] if self._selected else next(iter(self.profiles), None)
        if server is None:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            "Emergency cleanup",
            f"Fail every queued, running and retrying job on {server}?\n"
            "Workers still running them will be refused from now on.",
            QMessageBox.StandardButton.Cancel | QMessageBox.StandardButton.Yes,
            self.window,
        )
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.accepted.connect(lambda: self._spawn(self._cleanup(server)))
        box.open()

    async def _cleanup(self, server: str) -> None:
        profile = self.profiles[server]
        try:
            count = await OperatorActions(self._url_of(server), profile.token).emergency_cleanup()
        except Exception as exc:  # shown to the operator, not lost
            self.window.statusBar().showMessage(f"Emergency cleanup on {server} failed: {exc}")
            return
        self.window.statusBar().showMessage(f"Emergency cleanup on {server}: {count} job(s) failed")

    def _url_of(self, server: str) -> str:
        """Where to send a server's actions: with replicas, the one its engine is on."""
        engine = self.monitor.engines.get(server)
        return self.profiles[server].url if engine is None else engine.url

    def _refresh(self) -> None:
        for engine in self.monitor.engines.values():
            engine.retry_now()

    # --- tasks and shutdown ------------------------------------------------------------

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("a monitor task failed", exc_info=exc)
            self.window.statusBar().showMessage(f"Failed: {exc}", 10_000)

    def quit(self) -> None:
        self._spawn(self._shutdown())

    async def _shutdown(self) -> None:
        self.window.save_layout()
        for task in list(self._tasks):
            if task is not asyncio.current_task():
                task.cancel()
        self.center.close()
        await self.monitor.aclose()
        if isinstance(self.notifier, DesktopNotifier):
            await self.notifier.aclose()
        self.tray.tray_icon.hide()
        self.closed.set()

    def cancel_everything(self) -> None:
        """aboutToQuit: whatever ended the application, no task may outlive the loop."""
        for task in list(self._tasks):
            task.cancel()
        self.monitor.cancel()
