"""The History view (Ctrl+3): the jobs a server keeps, finished ones included, asked for
page by page instead of held.

A filter bar (server, status, type, owner, text, created from/to), the page as a table
(name, status, type, owner, created, finished, duration, error), "Load older" for the
next page, and the selected job in a detail panel (the jobs view's ``DetailPanel``). At
most ``cap`` rows are kept; past it the newest are let go and the view says so.

It does no I/O: it emits ``search_requested`` (server, filter), ``load_older_requested``
and ``job_selected`` (a key, or None), and shows what it is given: ``show_status``
(``client.history.HistoryStatus``), the rows through its model, the detail through
``detail``. Times typed in the from/to fields are checked here (local time unless they
name a zone; a date alone as "to" includes that day): one that cannot be read is said
in the view, its field tinted, and nothing is asked.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QHideEvent, QPalette, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from jobdesk.client.history import HistoryStatus
from jobdesk.core.history import MOMENT_FORMS, HistoryFilter, HistoryRows, moment_bound
from jobdesk.gui.detail_panel import DetailPanel
from jobdesk.gui.history_model import WIDTHS, HistoryTableModel
from jobdesk.gui.new_job_dialog import ERROR_COLOUR, tinted
from jobdesk.protocol import Status

ANY: Final = "Any status"
PANEL_MIN: Final = 440
"""The detail panel's width when it opens, at least (its sub-operation bars and log)."""


def no_history_text(server: str) -> str:
    return f"{server} keeps no history jobdesk can read"


class HistoryView(QWidget):
    search_requested = Signal(str, object)
    """The server's name and the ``HistoryFilter`` to read its history with."""
    load_older_requested = Signal()
    job_selected = Signal(object)
    """The selected row's ``(server, job id)``, or None when nothing is selected."""
    visibility_changed = Signal(bool)

    def __init__(self, rows: HistoryRows, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows = rows
        """What the table shows (Qt-free): the wiring's browser fills it."""
        self._cap = rows.cap
        self._status = HistoryStatus()
        self.model = HistoryTableModel(rows, parent=self)

        self.server = QComboBox()
        self.server.setMinimumContentsLength(10)
        self.server.currentIndexChanged.connect(lambda _: self.request_search())
        self.status = QComboBox()
        self.status.addItem(ANY, None)
        for status in Status:
            self.status.addItem(status.value, status.value)
        self.status.currentIndexChanged.connect(lambda _: self.request_search())
        self.job_type = QComboBox()
        self.job_type.setEditable(True)
        self.job_type.setMinimumContentsLength(12)
        type_edit = self.job_type.lineEdit()
        assert type_edit is not None  # an editable combo box has one
        type_edit.setPlaceholderText("any type")
        type_edit.returnPressed.connect(self.request_search)
        self.job_type.activated.connect(lambda _: self.request_search())
        self.owner = self._edit("any owner", "Jobs owned by this token name", 10)
        self.text = self._edit(
            "Text anywhere in the job", "Name, message, error, metadata, log: any case", 16
        )
        for edit in (self.owner, self.text, type_edit):
            edit.setMaxLength(200 if edit is not type_edit else 100)  # what the server takes
        hint = f"{MOMENT_FORMS}; local time unless a zone is given"
        self.created_from = self._edit("created from", f"Created at or after: {hint}", 13)
        self.created_to = self._edit(
            "created before", f"Created before: {hint}; a date alone includes that day", 13
        )
        self.search_button = QPushButton("Search")
        self.search_button.clicked.connect(self.request_search)
        self._fields: dict[str, QWidget] = {
            "status": self.status,
            "jobType": self.job_type,
            "owner": self.owner,
            "q": self.text,
            "from": self.created_from,
            "to": self.created_to,
        }

        self.state = QLabel()
        self.state.setEnabled(False)  # greyed: about the data, not the data
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setTextFormat(Qt.TextFormat.PlainText)
        self.error.setStyleSheet(f"color: {ERROR_COLOUR}")
        self.error.hide()

        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setAlternatingRowColors(True)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate(WIDTHS):
            self.table.setColumnWidth(column, width)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._selection_changed())
        self.model.modelReset.connect(self._selection_changed)
        self.model.rowsRemoved.connect(lambda *_: self._selection_changed())  # the cap
        self.setFocusProxy(self.table)  # shown, the keyboard moves through the rows
        self.detail = DetailPanel()
        self.detail.hide()  # shown with a selected job, as in the jobs view
        self.splitter = QSplitter()
        self.splitter.addWidget(self.table)
        self.splitter.addWidget(self.detail)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        self.message = QLabel()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setWordWrap(True)
        font = self.message.font()
        font.setPointSizeF(font.pointSizeF() * 1.2)
        self.message.setFont(font)
        self.message.setEnabled(False)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.splitter)
        self.pages.addWidget(self.message)
        self.load_older = QPushButton("Load older")
        self.load_older.setEnabled(False)
        self.load_older.clicked.connect(self.load_older_requested.emit)
        self.capped = QLabel()
        self.capped.setWordWrap(True)
        self.capped.hide()

        bar = QHBoxLayout()
        self.server_label = QLabel("Server")
        for widget in (self.server_label, self.server, self.status, self.job_type, self.owner):
            bar.addWidget(widget)
        bar.addWidget(self.text, 2)
        bar.addWidget(QLabel("Created"))
        bar.addWidget(self.created_from)
        bar.addWidget(QLabel("to"))
        bar.addWidget(self.created_to)
        bar.addWidget(self.search_button)
        below = QHBoxLayout()
        below.addWidget(self.load_older)
        below.addWidget(self.capped)
        below.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.state)
        layout.addWidget(self.error)
        layout.addWidget(self.pages, 1)
        layout.addLayout(below)
        self.show_status(self._status)

    def _edit(self, placeholder: str, tooltip: str, width: int) -> QLineEdit:
        edit = QLineEdit()
        edit.setPlaceholderText(placeholder)
        edit.setToolTip(tooltip)
        edit.setClearButtonEnabled(True)
        edit.setMinimumWidth(edit.fontMetrics().averageCharWidth() * width)
        edit.returnPressed.connect(self.request_search)
        return edit

    # --- what the wiring calls ---------------------------------------------------------

    def set_servers(self, names: list[str]) -> None:
        """The watched servers, in the order to offer them (the current one is kept)."""
        if names == [self.server.itemText(i) for i in range(self.server.count())]:
            return
        current = self.server.currentText()
        self.server.blockSignals(True)
        self.server.clear()
        self.server.addItems(names)
        if current in names:
            self.server.setCurrentText(current)
        self.server.blockSignals(False)
        self.server.setVisible(len(names) > 1)
        self.server_label.setVisible(len(names) > 1)
        self.show_status(self._status)

    def set_job_types(self, types: list[str]) -> None:
        """The choices of the type field (it stays editable: any type may be typed)."""
        typed = self.job_type.currentText()
        self.job_type.blockSignals(True)
        self.job_type.clear()
        self.job_type.addItems(["", *types])
        self.job_type.setEditText(typed)
        self.job_type.blockSignals(False)

    def current_server(self) -> str | None:
        return self.server.currentText() or None

    def show_status(self, status: HistoryStatus) -> None:
        self._status = status
        if status.server is None:
            readable = self.server.count() > 0  # none searched yet: the first will be
            self.message.setText("" if readable else "No server watched")
        else:
            readable = status.readable
            self.message.setText("" if readable else no_history_text(status.server))
        self.pages.setCurrentWidget(self.splitter if readable else self.message)
        for widget in (*self._fields.values(), self.search_button):
            widget.setEnabled(readable)
        self.state.setText(self._state_text(status) if readable else "")
        self.error.setText(f"Not read: {status.error}" if status.error else "")
        self.error.setVisible(bool(status.error))
        self._highlight(self._fields.get(status.error_field or ""))
        self.load_older.setEnabled(readable and status.more and not status.loading)
        self.load_older.setText("Loading…" if status.loading and status.searched else "Load older")
        self.capped.setText(
            f"At most {self._cap:,} rows are kept: the {status.dropped:,} newest were let go "
            "to make room. Search again to see the newest."
            if status.dropped
            else ""
        )
        self.capped.setVisible(bool(status.dropped))

    @staticmethod
    def _state_text(status: HistoryStatus) -> str:
        if status.loading and not status.searched:
            return "Searching…"
        if not status.searched:
            return ""
        if status.error and not status.shown:
            return ""
        if not status.shown:
            return "No jobs match the filters"
        count = "1 job" if status.shown == 1 else f"{status.shown:,} jobs"
        wanted = status.wanted.describe()
        older = "older ones match too" if status.more else "no older ones match"
        return f"{count}{' matching ' + wanted if wanted else ''}, newest first; {older}"

    # --- asking ------------------------------------------------------------------------

    def current_filter(self) -> HistoryFilter | None:
        """The filter as typed; None (said in the view) when a time cannot be read."""
        bounds: dict[str, str | None] = {}
        for key, edit, end in (
            ("from", self.created_from, False),
            ("to", self.created_to, True),
        ):
            try:
                bounds[key] = moment_bound(edit.text(), end=end)
            except ValueError as exc:
                label = "Created from" if key == "from" else "Created before"
                self.error.setText(f"{label}: {exc}")
                self.error.show()
                self._highlight(edit)
                return None
        status = self.status.currentData()
        return HistoryFilter(
            status=status if isinstance(status, str) else None,
            job_type=self.job_type.currentText().strip() or None,
            owner=self.owner.text().strip() or None,
            text=self.text.text().strip() or None,
            created_from=bounds["from"],
            created_to=bounds["to"],
        )

    def request_search(self) -> None:
        server = self.current_server()
        if server is None:
            return
        wanted = self.current_filter()
        if wanted is not None:
            self._highlight(None)
            self.search_requested.emit(server, wanted)

    def _highlight(self, invalid: QWidget | None) -> None:
        for widget in self._fields.values():
            on = widget is invalid
            if bool(widget.property("invalid")) == on:
                continue
            widget.setProperty("invalid", on)
            widget.setPalette(tinted(widget.palette()) if on else QPalette())

    def highlighted(self) -> list[QWidget]:
        """The fields shown as wrong (for tests)."""
        return [widget for widget in self._fields.values() if widget.property("invalid")]

    # --- the selection -----------------------------------------------------------------

    def selected_job_id(self) -> str | None:
        rows = self.table.selectionModel().selectedRows()
        job = self.model.job_at(rows[0].row()) if rows else None
        return None if job is None else job.id

    def select_row(self, row: int) -> None:
        index = self.model.index(row, 0)
        self.table.selectionModel().select(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def _selection_changed(self) -> None:
        job_id = self.selected_job_id()
        server = self._status.server
        opening = job_id is not None and self.detail.isHidden()
        self.detail.setVisible(job_id is not None)
        if opening:  # a third of the width: the table keeps its error column in sight
            width = self.splitter.width()
            panel = max(PANEL_MIN, width // 3)
            self.splitter.setSizes([max(0, width - panel), panel])
        self.job_selected.emit(None if job_id is None or server is None else (server, job_id))

    # --- visibility --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.visibility_changed.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.visibility_changed.emit(False)
