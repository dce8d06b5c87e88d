"""The "Workers and queues" view (Ctrl+2): who works, what waits for nobody, the last hour.

A warning line names every job type with jobs waiting that no live worker claims
("nobody serves video_render: 3 queued, oldest 4 min"); under it the workers and the
job types as tables, and the last hour as two charts (``charts.py``). It does no I/O:
it says when it is shown or hidden (``visibility_changed``), and the controller's
wiring follows the overviews only meanwhile and hands them to ``show_overviews``.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QHideEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from jobdesk.client.overviews import ServerOverview
from jobdesk.gui.charts import DepthChart, OutcomesChart
from jobdesk.gui.formatting import local_time_text
from jobdesk.gui.queue_warnings import unserved, unserved_text
from jobdesk.gui.workers_models import JobTypesModel, WorkersModel, warning_icon


def _table(model: WorkersModel | JobTypesModel) -> QTableView:
    table = QTableView()
    table.setModel(model)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setAlternatingRowColors(True)
    table.setWordWrap(False)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    return table


class WorkersView(QWidget):
    visibility_changed = Signal(bool)
    """True when shown, False when hidden: follow the overviews only while shown."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._overviews: dict[str, ServerOverview] = {}
        self.server = QComboBox()
        self.server.currentIndexChanged.connect(lambda _: self._show_current())
        self.state = QLabel("Waiting for the first overview…")
        self.state.setEnabled(False)  # greyed: about the data, not the data
        self.warning_icon = QLabel()
        self.warning_icon.setPixmap(warning_icon().pixmap(20, 20))
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        font = self.warning.font()
        font.setBold(True)
        self.warning.setFont(font)
        self.workers = WorkersModel()
        self.job_types = JobTypesModel()
        self.workers_table = _table(self.workers)
        self.types_table = _table(self.job_types)
        self.outcomes_chart = OutcomesChart()
        self.depth_chart = DepthChart()

        top = QHBoxLayout()
        top.addWidget(QLabel("Server"))
        top.addWidget(self.server)
        top.addWidget(self.state, 1)
        warning_row = QHBoxLayout()
        warning_row.addWidget(self.warning_icon)
        warning_row.addWidget(self.warning, 1)
        tables = QSplitter()
        for title, table in (("Workers", self.workers_table), ("Job types", self.types_table)):
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.addWidget(QLabel(title))
            column.addWidget(table)
            tables.addWidget(box)
        tables.setStretchFactor(0, 3)
        tables.setStretchFactor(1, 2)
        charts = QHBoxLayout()
        charts.addWidget(self.outcomes_chart)
        charts.addWidget(self.depth_chart)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(warning_row)
        layout.addWidget(tables, 3)
        layout.addLayout(charts, 2)
        self._set_warning([])

    # --- what the wiring calls ---------------------------------------------------------

    def show_overviews(self, overviews: dict[str, ServerOverview]) -> None:
        self._overviews = overviews
        current = self.server.currentText()
        names = sorted(overviews)
        if names != [self.server.itemText(i) for i in range(self.server.count())]:
            self.server.blockSignals(True)
            self.server.clear()
            self.server.addItems(names)
            if current in names:
                self.server.setCurrentText(current)
            self.server.blockSignals(False)
        self.server.setEnabled(len(names) > 1)
        self._show_current()

    def _show_current(self) -> None:
        shown = self._overviews.get(self.server.currentText())
        overview = shown.overview if shown is not None else None
        if shown is None:
            self.state.setText("No server watched")
        elif shown.error:
            self.state.setText(f"Not refreshed: {shown.error}")
        elif overview is not None:
            self.state.setText(f"Updated {local_time_text(overview.timestamp)}")
        self.workers.set_rows(overview.workers if overview else [])
        self.job_types.set_rows(overview.job_types if overview else [])
        self.outcomes_chart.set_minutes(overview.minutes if overview else [])
        self.depth_chart.set_minutes(overview.minutes if overview else [])
        self._set_warning([unserved_text(t) for t in unserved(overview)])

    def _set_warning(self, lines: list[str]) -> None:
        self.warning.setText("\n".join(lines))
        self.warning.setVisible(bool(lines))
        self.warning_icon.setVisible(bool(lines))

    # --- visibility --------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        self.visibility_changed.emit(True)

    def hideEvent(self, event: QHideEvent) -> None:
        super().hideEvent(event)
        self.visibility_changed.emit(False)
