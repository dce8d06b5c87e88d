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
    QLabel,
    QLineEdit,
    QMainWindow,
    QMenu,
    QSplitter,
    QTableView,
    QToolBar,
    QWidget,
)

from jobdesk.client.capabilities import Can
from jobdesk.core.store import JobKey
from jobdesk.gui.confirm import confirm
from jobdesk.gui.detail_panel import DetailPanel
from jobdesk.gui.job_actions import CANCELLABLE, FORCE_FAILABLE, RETRYABLE, allows, eligible
from jobdesk.gui.order_hold import OrderHold
from jobdesk.gui.status_bar import JobStatusBar
from jobdesk.gui.view_switch import ViewSwitch
from jobdesk.protocol import JobSummary, Status

STATUS_FILTERS = (
    ("All", "all"),
    ("Active", "active"),
    ("Stale", "stale"),
    ("Completed", "completed"),
    ("Failed", "failed"),
)
TRIAGE = -1
"""The table's sort column for triage order (no header's column: no sort indicator)."""


class JobTable(Protocol):
    """What the window needs from the job table model (jobdesk.gui.models)."""

    def set_search(self, text: str) -> None: ...
    def set_status_filter(self, kind: str) -> None: ...
    def hold(self) -> None: ...
    def release(self) -> None: ...
    def key_of_row(self, row: int) -> JobKey | None: ...
    def row_of_key(self, key: JobKey) -> int | None: ...
    def job(self, key: JobKey) -> JobSummary | None: ...


class MainWindow(QMainWindow):
    force_fail_requested = Signal(list)
    """The keys of the running jobs the operator confirmed force-failing."""
    cancel_requested = Signal(list)
    """The keys of the cancellable jobs the operator confirmed cancelling."""
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
        self.search.setPlaceholderText("Search every column, errors, metadata  (Ctrl+F)")
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
        self.table.horizontalHeader().setSortIndicator(TRIAGE, Qt.SortOrder.AscendingOrder)
        self.table.setSortingEnabled(True)  # sorts by the indicator: triage order
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
        self.no_matches = QLabel("No jobs match the search and status filter", self.table)
        self.no_matches.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_matches.setEnabled(False)  # drawn in the palette's disabled (grey) text
        self.no_matches.hide()
        self.search.textChanged.connect(self._update_no_matches)
        self.status_filter.currentIndexChanged.connect(self._update_no_matches)
        for signal in (view_model.rowsInserted, view_model.rowsRemoved, view_model.modelReset):  # type: ignore[attr-defined]
            signal.connect(self._update_no_matches)
        self.detail = DetailPanel()
        self.detail.hide()  # shown with a selected job: the first screen is the table's
        self.splitter = splitter = QSplitter()
        splitter.addWidget(self.table)
        splitter.addWidget(self.detail)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        self.setCentralWidget(splitter)
        self.status = JobStatusBar()
        self.setStatusBar(self.status)
        self.order_hold = OrderHold(
            table_model,
            [self.table.viewport(), self.table.horizontalHeader()],
            self.status.set_order_held,
            self,
        )
        self._make_actions()
        self.views = ViewSwitch(self, self.view_menu, jobs_toolbar=self.jobs_toolbar)
        """Jobs (Ctrl+1), workers and queues (Ctrl+2) or history (Ctrl+3), in the View menu."""
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
        self.force_fail_action.setToolTip("End the selected running (or stale) jobs as failed")
        self.set_job_actions(cancel=False, retry=False, force_fail=False)
        self.triage_action = action("Triage order", QKeySequence("Ctrl+T"), self.triage_order)
        self.triage_action.setToolTip(
            "Unacknowledged failures, stale, retrying, running, queued, then the rest; "
            "newest first in each"
        )
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
            self.triage_action,
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
        self.view_menu = menus.addMenu("&View")
        self.view_menu.addAction(self.triage_action)
        self.jobs_toolbar = toolbar = QToolBar("Jobs")
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
        self.detail.setVisible(bool(keys))
        self.selection_changed.emit(keys)

    def triage_order(self) -> None:
        """Back to the default order, whatever column the operator sorted by."""
        self.table.sortByColumn(TRIAGE, Qt.SortOrder.AscendingOrder)

    def _update_no_matches(self) -> None:
        """The "no matches" line over a table the search or status filter emptied."""
        filtering = bool(self.search.text().strip()) or self.status_filter.currentData() != "all"
        empty = self.table.model().rowCount() == 0
        self.no_matches.setVisible(filtering and empty)
        if self.no_matches.isVisible():
            header = self.table.horizontalHeader().height()
            self.no_matches.setGeometry(0, header + 8, self.table.width(), 32)

    def _focus_search(self) -> None:
        if self.jobs_toolbar.isHidden():  # Find searches the jobs: go back to them
            self.views.show_jobs()
        self.search.setFocus()
        self.search.selectAll()

    def _context_menu(self, position: QPoint) -> None:
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.order_hold.watch_menu(menu)
        menu.addAction(self.copy_id_action)
        menu.addSeparator()
        menu.addAction(self.cancel_action)
        menu.addAction(self.retry_action)
        menu.addAction(self.force_fail_action)
        menu.popup(self.table.viewport().mapToGlobal(position))

    def _force_fail(self) -> None:
        self._confirm(
            "Force-fail",
            Can.FORCE_FAIL,
            FORCE_FAILABLE,
            "They end as failed now, whatever attempts are left; their workers' reports "
            "are refused from now on.",
            self.force_fail_requested.emit,
        )

    def _cancel(self) -> None:
        self._confirm(
            "Cancel",
            Can.CANCEL,
            CANCELLABLE,
            "Queued ones will not run; running ones are told to stop.",
            self.cancel_requested.emit,
        )

    def _confirm(
        self,
        verb: str,
        can: Can,
        statuses: frozenset[Status],
        consequence: str,
        act: Callable[[list[JobKey]], object],
    ) -> None:
        """Ask before ``verb``, naming the selected jobs it applies to; the answer acts on
        those keys, whatever is selected by then."""
        keys = eligible(self._selected_that(can), self._status_of, statuses)
        if not keys:
            return
        names = [job.name or key[1] if (job := self.jobs.job(key)) else key[1] for key in keys]
        self.confirmation = confirm(
            self, verb=verb, keys=keys, names=names, consequence=consequence, act=act
        )

    def _acknowledge(self) -> None:
        if keys := self.selected_keys():
            self.acknowledge_requested.emit(keys)

    def _retry(self) -> None:
        if keys := self._selected_that(Can.RETRY):
            self.retry_requested.emit(keys)

    backend_can: Callable[[str, Can], bool] = staticmethod(lambda server, can: True)
    """Whether ``server``'s backend offers an action (the controller sets it): a job of
    a backend that cannot cancel is never sent to be cancelled."""

    def _selected_that(self, can: Can) -> list[JobKey]:
        """The selected jobs whose backend offers ``can``."""
        return [key for key in self.selected_keys() if self.backend_can(key[0], can)]

    def offer_actions(self, offered: Can) -> None:
        """Show only the actions some watched backend offers (``offered``: their union);
        an action no backend has is hidden, not greyed."""
        for action, can in (
            (self.new_job_action, Can.SUBMIT),
            (self.cancel_action, Can.CANCEL),
            (self.retry_action, Can.RETRY),
            (self.force_fail_action, Can.FORCE_FAIL),
            (self.cleanup_action, Can.FORCE_FAIL),
        ):
            action.setVisible(bool(offered & can))

    def set_job_actions(self, *, cancel: bool, retry: bool, force_fail: bool) -> None:
        self.cancel_action.setEnabled(cancel)
        self.retry_action.setEnabled(retry)
        self.force_fail_action.setEnabled(force_fail)

    def refresh_job_actions(self) -> None:
        """Enable Cancel, Retry and Force-fail when some selected job's status (as the
        table shows it) allows them; call when the selection or a selected job changes."""
        self.set_job_actions(
            cancel=allows(self._selected_that(Can.CANCEL), self._status_of, CANCELLABLE),
            retry=allows(self._selected_that(Can.RETRY), self._status_of, RETRYABLE),
            force_fail=allows(self._selected_that(Can.FORCE_FAIL), self._status_of, FORCE_FAILABLE),
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

    DEFAULT_WIDTHS = (210, 95, 100, 90, 330, 90, 70, 80, 90)
    """Name, type, status, progress, message, owner, priority, updated, server: used until
    the operator's own layout is saved; at 1280 px wide every column up to Updated shows
    with no detail panel open (it opens with a selection)."""

    def _restore_layout(self) -> None:
        for column, width in enumerate(self.DEFAULT_WIDTHS):
            self.table.setColumnWidth(column, width)
        settings = QSettings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        else:
            self.fit_screen()
        header = settings.value("table/header")
        if isinstance(header, QByteArray):
            self.table.horizontalHeader().restoreState(header)

    FRAME_ALLOWANCE = 40
    """Pixels a window manager's title bar and borders may add around the window."""

    def fit_screen(self) -> None:
        """The first start's size, no larger than the screen: at 1280x780 a 780-high
        window lost its status bar (the unreachable warning) under the screen's edge."""
        screen = self.screen()
        if screen is None:
            return
        room = screen.availableGeometry()
        self.resize(
            min(self.width(), room.width()),
            min(self.height(), room.height() - self.FRAME_ALLOWANCE),
        )

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
