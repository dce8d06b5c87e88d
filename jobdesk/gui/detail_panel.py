"""The selected job in full: progress and ETA, sub-operations, log, metadata, attempts,
payload, outcome; with buttons for the actions its status allows (the window's own
actions, so they are enabled and disabled in one place).

It is given two things: the job's summary from the store (always the newest: title,
status, progress, metadata, timeline, error) and the job fetched whole (log,
sub-operations, attempts, payload, result), which may lag the summary by a fetch or
not have arrived yet; until it does, those sections say so."""

from __future__ import annotations

import html
import json
import time
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction, QPalette
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QScrollArea,
    QTextBrowser,
    QToolButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from jobdesk.gui.attempt_history import AttemptHistory
from jobdesk.gui.formatting import (
    local_time_text,
    moment_text,
    moment_tooltip,
    percent_text,
    priority_text,
    short_time,
)
from jobdesk.gui.models.states import State, state_of
from jobdesk.gui.sparkline import Sparkline
from jobdesk.protocol import Job, JobSummary, Status

OUTCOME_LINES = 6
"""The Error / Result box grows with its text up to this many lines, then scrolls."""
LEVEL_COLOURS = {"info": None, "warning": "#c98a00", "error": "#d03c3c"}
"""None: the palette's text colour, so the log reads well in light and dark themes."""


def _bar(percent: float) -> QProgressBar:
    bar = QProgressBar()
    bar.setRange(0, 1000)
    bar.setValue(round(percent * 10))
    bar.setFormat(percent_text(percent))
    return bar


class DetailPanel(QWidget):
    """Shows one job; ``show_job(None)`` shows the hint to select one."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setWordWrap(True)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.status = QLabel()
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setMinimumHeight(28)
        self.eta = QLabel()
        self.sparkline = Sparkline()
        self.queue_note = QLabel()  # "no worker serves TYPE" for a job that waits for nobody
        self.queue_note.setWordWrap(True)
        self.queue_note.hide()
        self.detail_note = QLabel()
        self.detail_note.setWordWrap(True)
        self.detail_note.setEnabled(False)  # greyed: a remark, not the job's data
        self.sub_operations = QVBoxLayout()
        subs_box = QGroupBox("Sub-operations")
        subs_box.setLayout(self.sub_operations)
        self.log = QTextBrowser()
        self.log.setOpenLinks(False)
        self.log.setMinimumHeight(120)
        self.metadata = QTreeWidget()
        self.metadata.setHeaderLabels(["Key", "Value"])
        self.metadata.setMinimumHeight(90)
        self.times = QFormLayout()
        times_box = QGroupBox("Timeline")
        times_box.setLayout(self.times)
        self.history = AttemptHistory()
        self.history_box = QGroupBox("Attempts")
        QVBoxLayout(self.history_box).addWidget(self.history)
        self.payload_label = QLabel("Payload")
        self.payload = QPlainTextEdit()
        self.payload.setReadOnly(True)
        self.payload.setMaximumHeight(110)
        self.outcome_label = QLabel()
        self.outcome = QPlainTextEdit()
        self.outcome.setReadOnly(True)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.addWidget(self.title)
        layout.addWidget(self.status)
        layout.addWidget(self.outcome_label)  # a failure's error first: what to read
        layout.addWidget(self.outcome)
        layout.addLayout(self.buttons)
        for widget in (
            self.progress,
            self.sparkline,
            self.eta,
            self.queue_note,
            self.detail_note,
            subs_box,
        ):
            layout.addWidget(widget)
        layout.addWidget(self.history_box)  # right under progress: why it is on try 2 of 3
        layout.addWidget(QLabel("Log (newest first)"))
        layout.addWidget(self.log, 2)
        layout.addWidget(QLabel("Metadata"))
        layout.addWidget(self.metadata, 1)
        layout.addWidget(times_box)
        layout.addWidget(self.payload_label)
        layout.addWidget(self.payload)
        self.scroll_area = scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        self._shown: tuple[str, int, int | None, str, str] | None = None
        self.show_job(None)

    def add_actions(self, actions: list[QAction]) -> None:
        """Buttons for the window's actions on the selected jobs (Cancel, Retry): they
        follow the actions' enabled state and text."""
        for action in actions:
            button = QToolButton()
            button.setDefaultAction(action)
            button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            self.buttons.insertWidget(self.buttons.count() - 1, button)

    def show_job(
        self,
        job: JobSummary | None,
        *,
        detail: Job | None = None,
        detail_note: str = "",
        eta: str = "",
        stale_note: str = "",
    ) -> None:
        """Show ``job`` (None: the hint to select one). ``detail``: the same job fetched
        whole (a ``Job`` given as ``job`` is its own); ``detail_note``: why it is not
        (yet) there or may be old, e.g. the server cannot be reached."""
        if job is None:
            self._shown = None
            self.title.setText("Select a job to see its details")
            for widget in (self.status, self.eta, self.outcome_label, self.detail_note):
                widget.clear()
            self.progress.setValue(0)
            self.progress.setFormat("")
            self.log.clear()
            self.metadata.clear()
            self.outcome.clear()
            self.outcome.hide()
            self._fill_payload(None)
            self._fill_history(None)
            self._clear_sub_operations()
            _clear_form(self.times)
            return
        if detail is None and isinstance(job, Job):
            detail = job
        if detail is not None and detail.id != job.id:
            detail = None
        self.eta.setText(eta)
        shown = (job.id, job.version, detail.version if detail else None, detail_note, stale_note)
        if self._shown == shown:
            return  # nothing changed but the ETA: keep the reader's scroll and selection
        if self._shown is None or self._shown[0] != job.id:
            self.scroll_area.verticalScrollBar().setValue(0)  # another job: read it from the top
        self._shown = shown
        self.title.setText(f"{job.name}  ·  {job.id}")
        state = state_of(job)
        status = state.value + (" (no update for a while)" if state is State.STALE else "")
        self.status.setText(
            f"{status}   {job.job_type}   {priority_text(job.priority)}   {stale_note}"
        )
        self.progress.setValue(round(job.progress * 10))
        self.progress.setFormat(percent_text(job.progress))
        self.detail_note.setText(detail_note or ("" if detail else "Loading the log…"))
        self.detail_note.setVisible(bool(self.detail_note.text()))
        self._fill_sub_operations(detail)
        self._fill_log(detail)
        self._fill_metadata(job.metadata)
        self._fill_times(job)
        self._fill_history(detail)
        self._fill_payload(detail)
        self._fill_outcome(job, detail)

    def show_progress_history(self, points: list[tuple[float, float]]) -> None:
        """The selected job's progress over time (the sparkline; hidden under two points)."""
        self.sparkline.set_points(points)

    def show_queue_note(self, text: str) -> None:
        """Why a waiting job may wait for nobody ("No worker serves TYPE"); '' hides it."""
        self.queue_note.setText(text)
        self.queue_note.setVisible(bool(text))

    def _fill_sub_operations(self, job: Job | None) -> None:
        """``job`` None: the job is selected but its whole form has not arrived yet."""
        self._clear_sub_operations()
        if job is None:
            self.sub_operations.addWidget(QLabel("…"))
            return
        subs = job.sub_operations
        if not subs:
            self.sub_operations.addWidget(QLabel("none declared"))
        for sub in subs:
            self.sub_operations.addWidget(QLabel(f"{sub.name}  (weight {sub.weight:g})"))
            self.sub_operations.addWidget(_bar(sub.progress))

    def _clear_sub_operations(self) -> None:
        while self.sub_operations.count():
            item = self.sub_operations.takeAt(0)
            if item is not None and (widget := item.widget()) is not None:
                widget.deleteLater()

    def _fill_log(self, job: Job | None) -> None:
        if job is None:
            self.log.clear()
            return
        text_colour = self.palette().color(QPalette.ColorRole.Text).name()
        now = time.time()
        lines = []
        for entry in reversed(job.messages):
            colour = LEVEL_COLOURS.get(entry.level) or text_colour
            lines.append(
                f'<div style="color:{colour}">{html.escape(short_time(entry.timestamp, now))} '
                f"<b>{entry.level}</b> {html.escape(entry.text)}</div>"
            )
        self.log.setHtml("".join(lines) or "<i>no messages</i>")
        self.log.verticalScrollBar().setValue(0)  # newest first: the top is the news

    def _fill_metadata(self, metadata: dict[str, Any]) -> None:
        self.metadata.clear()
        for key, value in metadata.items():
            self.metadata.addTopLevelItem(_tree_item(key, value))
        self.metadata.expandAll()
        self.metadata.resizeColumnToContents(0)

    def _fill_times(self, job: JobSummary) -> None:
        _clear_form(self.times)
        now = time.time()
        for label, moment in (
            ("Created", job.created_at),
            ("Started", job.started_at),
            ("Updated", job.updated_at),
            ("Finished", job.finished_at),
        ):
            field = _selectable(moment_text(moment, now) if moment else "—")
            if moment:
                field.setToolTip(moment_tooltip(moment))
            self.times.addRow(label, field)
        for label, value in (
            ("Attempts", attempts_text(job)),
            *queue_rows(job),
            ("Owner", job.owner or "—"),
        ):
            self.times.addRow(label, _selectable(value))

    def _fill_history(self, job: Job | None) -> None:
        self.history.show_attempts(job)
        self.history_box.setVisible(job is not None and bool(job.history))

    def _fill_payload(self, job: Job | None) -> None:
        payload = None if job is None else job.payload
        if payload is None:
            self.payload.clear()
        else:
            self.payload.setPlainText(json.dumps(payload, indent=2, ensure_ascii=False))
        self.payload_label.setVisible(payload is not None)
        self.payload.setVisible(payload is not None)

    def _fill_outcome(self, job: JobSummary, detail: Job | None) -> None:
        if job.status in (Status.FAILED, Status.CANCELLED) and job.error:
            self.outcome_label.setText("Error")
            self.outcome.setPlainText(job.error)
            self._fit_outcome(job.error)
        elif detail is not None and detail.result is not None:
            self.outcome_label.setText("Result")
            result = json.dumps(detail.result, indent=2, ensure_ascii=False)
            self.outcome.setPlainText(result)
            self._fit_outcome(result)
        else:
            self.outcome_label.setText("")
            self.outcome.clear()
        self.outcome.setVisible(bool(self.outcome_label.text()))

    def _fit_outcome(self, text: str) -> None:
        """As tall as the text, up to ``OUTCOME_LINES`` lines: a one-line error near the
        top must not push the progress and the log down by a box of blank lines."""
        lines = min(OUTCOME_LINES, text.count("\n") + 1)
        margins = 2 * self.outcome.frameWidth() + 2 * int(self.outcome.document().documentMargin())
        height = lines * self.outcome.fontMetrics().lineSpacing() + margins + 2
        self.outcome.setFixedHeight(height)


def attempts_text(job: JobSummary) -> str:
    """``2 of 3``: attempts started of those allowed (an operator's retry raises the
    allowance, so a count past it only comes from jobs older than the queue)."""
    if job.attempts <= job.max_attempts:
        return f"{job.attempts} of {job.max_attempts}"
    return str(job.attempts)


def queue_rows(job: JobSummary) -> list[tuple[str, str]]:
    """The queue's timeline rows that apply now: when a retrying job may run again, when
    a running job's lease ends, and the attempt timeout when one was set."""
    rows = []
    if job.status is Status.RETRYING and job.retry_at:
        rows.append(("Next attempt", f"not before {local_time_text(job.retry_at)}"))
    if job.status is Status.RUNNING and job.lease_expires_at:
        rows.append(("Lease expires", local_time_text(job.lease_expires_at)))
    if job.timeout is not None:
        rows.append(("Timeout", f"{job.timeout:g} s per attempt"))
    return rows


def _selectable(text: str) -> QLabel:
    field = QLabel(text)
    field.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return field


def _tree_item(key: str, value: Any) -> QTreeWidgetItem:
    if isinstance(value, dict):
        item = QTreeWidgetItem([key, ""])
        for child_key, child in value.items():
            item.addChild(_tree_item(str(child_key), child))
        return item
    if isinstance(value, list):
        item = QTreeWidgetItem([key, f"[{len(value)}]"])
        for index, child in enumerate(value):
            item.addChild(_tree_item(str(index), child))
        return item
    return QTreeWidgetItem([key, json.dumps(value, ensure_ascii=False)])


def _clear_form(form: QFormLayout) -> None:
    while form.rowCount():
        form.removeRow(0)
