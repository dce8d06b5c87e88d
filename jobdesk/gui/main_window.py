"""The main window: search and filters, the job table, the detail panel, the status bar.

It does no I/O: operator actions leave as signals, which the application turns into
requests (jobdesk.client.actions), and their effect comes back through the store.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QByteArray, QItemSelectionModel, QPoint, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHeaderView,
    QLineEdit,
    QMainWindow,
    QMenu,
    QSplitter,
    QTableView,
    QToolBar,
    QWidget,
)

from jobdesk.core.store import JobKey
from jobdesk.gui.detail_panel import DetailPanel
from jobdesk.gui.job_actions import CANCELLABLE, RETRYABLE, allows
from jobdesk.gui.status_bar import JobStatusBar
from jobdesk.gui.view_switch import ViewSwitch
from jobdesk.protocol import JobSummary, Status

STATUS_FILTERS = (
    ("All", "all"),
    ("Active", "active"),
    ("Completed", "completed"),
    ("Failed", "failed"),
)


class JobTable(Protocol):
    """What the window needs from the job table model (jobdesk.gui.models)."""

    def set_search(self, text: str) -> None: ...
    def set_status_filter(self, kind: str) -> None: ...
    def key_of_row(self, row: int) -> JobKey | None: ...
    def row_of_key(self, key: JobKey) -> int | None: ...
    def job(self, key: JobKey) -> JobSummary | None: ...


class MainWindow(QMainWindow):
    force_fail_requested = Signal(list)
    """The selected jobs' keys."""
    cancel_requested = Signal(list)
    """The selected jobs' keys (all of them: the controller sends those it applies to)."""
    retry_requested = Signal(list)
    """The selected jobs' keys."""
    new_job_requested = Signal()
    cleanup_requested = Signal()
    refresh_requested = Signal()
    servers_requested = Signal()
    selection_changed = Signal(list)
    """The selected jobs' keys, for the detail panel."""
    acknowledge_requested = Signal(list)
    """The selected jobs' keys: the operator has dealt with these failures (selecting a
    row is looking, not dealing with it, so it acknowledges nothing)."""
    quit_requested = Signal()

    def __init__(
        self, table_model: JobTable, view_model: object, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("jobdesk")
        self.resize(1280, 780)
        self.jobs = table_model
        self.search = QLineEdit()
        self.search.setPlaceholderText("Search name, id, message, metadata  (Ctrl+F)")
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self.jobs.set_search)
        self.status_filter = QComboBox()
        for label, kind in STATUS_FILTERS:
            self.status_filter.addItem(label, kind)
        self.status_filter.currentIndexChanged.connect(
            lambda _: self.jobs.set_status_filter(str(self.status_filter.currentData()))
        )
        self.table = QTableView()
        self.table.setModel(view_model)  # type: ignore[arg-type]
        self.table.setSortingEnabled(True)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)  # one line per job: a table to scan, not to read
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setSectionsMovable(True)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.detail = DetailPanel()
        splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)
        self.status = JobStatusBar()
        self.setStatusBar(self.status)
        self._make_actions()
        self.views = ViewSwitch(self)
        """Jobs (Ctrl+1) or workers and queues (Ctrl+2), in the View menu."""
        self._restore_layout()

    # --- actions -----------------------------------------------------------------------

    def _make_actions(self) -> None:
        def action(text: str, shortcut: QKeySequence | None, slot: Callable[[], object]) -> QAction:
            made = QAction(text, self)
            if shortcut is not None:
                made.setShortcut(shortcut)
            made.triggered.connect(slot)
            return made

        self.find_action = action(
            "Find", QKeySequence(QKeySequence.StandardKey.Find), self._focus_search
        )
        self.refresh_action = action("Refresh", QKeySequence("F5"), self.refresh_requested.emit)
        self.quit_action = action("Quit", QKeySequence("Ctrl+Q"), self.quit_requested.emit)
        self.force_fail_action = action("Force-fail selected", None, self._force_fail)
        self.new_job_action = action(
            "New job…", QKeySequence(QKeySequence.StandardKey.New), self.new_job_requested.emit
        )
        self.cancel_action = action("Cancel selected", None, self._cancel)
        self.cancel_action.setToolTip("Cancel the selected queued, retrying or running jobs")
        self.retry_action = action("Retry selected", None, self._retry)
        self.retry_action.setToolTip("Queue the selected failed or cancelled jobs again")
        self.set_job_actions(cancel=False, retry=False)
        self.acknowledge_action = action("Acknowledge", QKeySequence("A"), self._acknowledge)
        self.acknowledge_action.setShortcuts([QKeySequence("A"), QKeySequence("Space")])
        self.acknowledge_action.setShortcutContext(Qt.ShortcutContext.WidgetShortcut)
        self.acknowledge_action.setToolTip("The selected failures are dealt with (A or Space)")
        self.acknowledge_action.setEnabled(False)
        self.table.addAction(self.acknowledge_action)  # the keys act in the table only
        self.copy_id_action = action(
            "Copy id", QKeySequence(QKeySequence.StandardKey.Copy), self.copy_ids
        )
        self.cleanup_action = action("Emergency cleanup…", None, self.cleanup_requested.emit)
        self.servers_action = action("Servers…", None, self.servers_requested.emit)
        self.autostart_action = QAction("Start at login", self)
        self.autostart_action.setCheckable(True)  # the controller keeps it equal to the file
        for made in (
            self.find_action,
            self.refresh_action,
            self.quit_action,
            self.copy_id_action,
            self.new_job_action,
        ):
            self.addAction(made)
        menus = self.menuBar()
        self.file_menu = file_menu = menus.addMenu("&File")
        file_menu.addAction(self.servers_action)
        file_menu.addAction(self.autostart_action)
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        jobs_menu = menus.addMenu("&Jobs")
        jobs_menu.addAction(self.new_job_action)
        jobs_menu.addSeparator()
        jobs_menu.addAction(self.refresh_action)
        jobs_menu.addAction(self.copy_id_action)
        jobs_menu.addAction(self.cancel_action)
        jobs_menu.addAction(self.retry_action)
        jobs_menu.addAction(self.force_fail_action)
        jobs_menu.addAction(self.acknowledge_action)
        jobs_menu.addSeparator()
        jobs_menu.addAction(self.cleanup_action)
        toolbar = QToolBar("Jobs")
        toolbar.setObjectName("jobs-toolbar")
        toolbar.addWidget(self.search)
        toolbar.addWidget(self.status_filter)
        toolbar.addAction(self.refresh_action)
        toolbar.addSeparator()
        toolbar.addAction(self.new_job_action)
        toolbar.addAction(self.cancel_action)
        toolbar.addAction(self.retry_action)
        toolbar.addAction(self.force_fail_action)
        toolbar.addAction(self.acknowledge_action)
        self.addToolBar(toolbar)
        self.detail.add_actions([self.cancel_action, self.retry_action, self.acknowledge_action])

    def _selection_changed(self) -> None:
        keys = self.selected_keys()
        self.refresh_job_actions()
        self.acknowledge_action.setEnabled(bool(keys))
        self.selection_changed.emit(keys)

    def _focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.addAction(self.copy_id_action)
        menu.addSeparator()
        menu.addAction(self.cancel_action)
        menu.addAction(self.retry_action)
        menu.addAction(self.force_fail_action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _force_fail(self) -> None:
        keys = self.selected_keys()
        if keys:
            self.force_fail_requested.emit(keys)

    def _cancel(self) -> None:
        if keys := self.selected_keys():
            self.cancel_requested.emit(keys)

    def _acknowledge(self) -> None:
        if keys := self.selected_keys():
            self.acknowledge_requested.emit(keys)

    def _retry(self) -> None:
        if keys := self.selected_keys():
            self.retry_requested.emit(keys)

    def set_job_actions(self, *, cancel: bool, retry: bool) -> None:
        self.cancel_action.setEnabled(cancel)
        self.retry_action.setEnabled(retry)

    def refresh_job_actions(self) -> None:
        """Enable Cancel and Retry when some selected job's status (as the table shows
        it) allows them; call when the selection or a selected job changes."""
        keys = self.selected_keys()
        self.set_job_actions(
            cancel=allows(keys, self._status_of, CANCELLABLE),
            retry=allows(keys, self._status_of, RETRYABLE),
        )

    def _status_of(self, key: JobKey) -> Status | None:
        job = self.jobs.job(key)
        return None if job is None else job.status

    def selected_keys(self) -> list[JobKey]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        keys = [self.jobs.key_of_row(row) for row in rows]
        return [key for key in keys if key is not None]

    def copy_ids(self) -> None:
        ids = [job_id for _, job_id in self.selected_keys()]
        if ids:
            QApplication.clipboard().setText("\n".join(ids))

    def select(self, key: JobKey) -> None:
        """Show one job (from a notification's Open button)."""
        row = self.jobs.row_of_key(key)
        if row is None:
            return
        index = self.table.model().index(row, 0)
        self.table.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def reveal(self, key: JobKey) -> bool:
        """Select a job the table knows, clearing the search and status filter if they
        hide it (a job just submitted must be seen); False while the table lacks it."""
        if self.jobs.job(key) is None:
            return False
        if self.jobs.row_of_key(key) is None:
            self.search.clear()
            self.status_filter.setCurrentIndex(self.status_filter.findData("all"))
        self.select(key)
        return self.jobs.row_of_key(key) is not None

    # --- layout that persists ----------------------------------------------------------

    DEFAULT_WIDTHS = (230, 120, 125, 130, 280, 120, 80, 80, 90)
    """Name, type, status, progress, message, owner, priority, updated, server: used until
    the operator's own layout is saved."""

    def _restore_layout(self) -> None:
        for column, width in enumerate(self.DEFAULT_WIDTHS):
            self.table.setColumnWidth(column, width)
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        header = settings.value("table/header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)

    def save_layout(self) -> None:
        settings = QSettings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("table/header", self.table.horizontalHeader().saveState())

    hide_on_close = False
    """True when a tray icon can bring the window back; otherwise closing quits."""

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_layout()
        if self.hide_on_close:
            event.ignore()
            self.hide()
            return
        event.accept()
        self.quit_requested.emit()
