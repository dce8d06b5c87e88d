"""The New job dialog: a job's name, type, priority, payload, attempts and timeout.

Non-modal (``show()``, never ``exec()``: a nested loop inside qasync fails), so the
operator can keep an eye on the table while filling it in. It does no I/O: Submit
emits ``submit_requested`` and the controller answers with ``set_busy``, then
``show_error`` (the dialog stays open with the code, the message and the named field
highlighted) or ``accept()`` (it closes). What the dialog can check itself, it checks
on every keystroke, and Submit stays disabled while something is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFontDatabase, QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from jobdesk.gui.payload import PayloadError, parse_payload
from jobdesk.protocol import KNOWN_JOB_TYPES, ErrorCode, JobSummary, Priority
from jobdesk.protocol.rest import CreateJobRequest

MAX_TIMEOUT_S: Final = 7 * 24 * 3600
"""The longest attempt timeout the server accepts (a week)."""
ERROR_COLOUR: Final = "#d03c3c"
HINTS: Final = {
    ErrorCode.AUTH_REQUIRED: "This server's token may not submit jobs (a viewer's, or an "
    "unknown or expired one): set an operator's or a worker's token in File > Servers.",
    ErrorCode.INVALID_INPUT: "Correct the highlighted field and submit again.",
    ErrorCode.SUBMISSION_FAILED: "The server could not be reached, or is full. Nothing was "
    "submitted; try again in a moment.",
    ErrorCode.UNKNOWN_ERROR: "The server's answer was not expected; nothing was submitted.",
}


class NewJobDialog(QDialog):
    submit_requested = Signal(str, object)
    """(server, CreateJobRequest)"""

    def __init__(
        self,
        servers: Sequence[str],
        job_types: Iterable[str],
        *,
        server: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New job")
        self.setModal(False)
        self.server = QComboBox()
        self.server.addItems(list(servers))
        if server is not None and server in servers:
            self.server.setCurrentText(server)
        self.server.setEnabled(len(servers) > 1)
        self.name = QLineEdit()
        self.name.setMaxLength(200)
        self.name.setPlaceholderText("optional: the server names it otherwise")
        self.job_type = QComboBox()
        self.job_type.setEditable(True)
        self.job_type.addItems(list(job_types))
        self.job_type.setCurrentText("generic")
        if (editor := self.job_type.lineEdit()) is not None:
            editor.setMaxLength(100)
        self.priority = QComboBox()
        for priority in Priority:
            self.priority.addItem(priority.value.capitalize(), priority)
        self.priority.setCurrentIndex(self.priority.findData(Priority.MEDIUM))
        self.payload = QPlainTextEdit()
        self.payload.setTabChangesFocus(True)
        self.payload.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.payload.setPlaceholderText('{"documents": ["a.pdf"]}\n\nJSON; empty: no payload')
        self.max_attempts = QSpinBox()
        self.max_attempts.setRange(1, 100)
        self.max_attempts.setValue(3)
        self.max_attempts.setToolTip("Tries before a failure is final (1: no retry)")
        self.timeout = QSpinBox()
        self.timeout.setRange(0, MAX_TIMEOUT_S)
        self.timeout.setSpecialValueText("server default")
        self.timeout.setSuffix(" s")
        self.timeout.setToolTip("Seconds one attempt may run before it fails as timed out")
        self.error_code = QLabel()
        self.error_code.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold")
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.submit_button = QPushButton("Submit")
        self.buttons.addButton(self.submit_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.submit_button.clicked.connect(self._submit)
        self.buttons.rejected.connect(self.reject)

        form = QFormLayout()
        self._labels: dict[QWidget, QLabel] = {}
        for text, widget in (
            ("Server", self.server),
            ("Name", self.name),
            ("Job type", self.job_type),
            ("Priority", self.priority),
            ("Payload", self.payload),
            ("Max attempts", self.max_attempts),
            ("Timeout", self.timeout),
        ):
            label = self._labels[widget] = QLabel(text)
            label.setBuddy(widget)
            form.addRow(label, widget)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error_code)
        layout.addWidget(self.problem)
        layout.addWidget(self.buttons)
        # Submit is the default (Enter submits a valid form); set once the button is the
        # dialog's (a default set before that is lost), and Cancel never becomes it by
        # taking the focus (Enter once threw the form away).
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAutoDefault(False)
        self.submit_button.setDefault(True)
        self.resize(520, 480)

        self.fields: dict[str, QWidget] = {
            "name": self.name,
            "jobType": self.job_type,
            "priority": self.priority,
            "payload": self.payload,
            "body": self.payload,  # a body over 1 MiB: the payload is what makes it big
            "maxAttempts": self.max_attempts,
            "timeout": self.timeout,
        }
        """The widget of each request field, by the name the server's errors use."""
        self._busy = False
        for signal in (
            self.name.textChanged,
            self.job_type.currentTextChanged,
            self.payload.textChanged,
            self.priority.currentIndexChanged,
            self.max_attempts.valueChanged,
            self.timeout.valueChanged,
            self.server.currentIndexChanged,
        ):
            signal.connect(self._validate)
        self._validate()

    # --- what the controller calls -----------------------------------------------------

    def set_busy(self, busy: bool) -> None:
        """While a submission is under way: Submit is disabled and says so."""
        self._busy = busy
        self.submit_button.setText("Submitting…" if busy else "Submit")
        if busy:
            self._show_problem("", f"Submitting to {self.server.currentText()}…")
        self._update_submit()

    def show_error(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        """The submission failed: say so plainly and point at the field, if one is named."""
        self.set_busy(False)
        hint = HINTS.get(code, "")
        self._show_problem(code.value, f"{message}\n{hint}" if hint else message)
        widget = self.fields.get(field or "")
        self._highlight(widget)
        if widget is not None:
            widget.setFocus()

    # --- the form ----------------------------------------------------------------------

    def request(self) -> CreateJobRequest:
        """The request the form describes (call when ``problem_text()`` is empty)."""
        return CreateJobRequest(
            name=self.name.text().strip() or None,
            job_type=self.job_type.currentText().strip(),
            priority=Priority(self.priority.currentData()),
            payload=parse_payload(self.payload.toPlainText()),
            max_attempts=self.max_attempts.value(),
            timeout=float(self.timeout.value()) or None,
        )

    def problem_text(self) -> str:
        """What is wrong with the form as it stands, in a sentence; empty when nothing."""
        return self._check()[1]

    def _check(self) -> tuple[QWidget | None, str]:
        if not self.server.currentText():
            return self.server, "No server to submit to: add one in File > Servers."
        if not self.job_type.currentText().strip():
            return self.job_type, "Job type: required (e.g. generic)."
        try:
            parse_payload(self.payload.toPlainText())
        except PayloadError as exc:
            return self.payload, f"Payload: {exc}"
        return None, ""

    def _validate(self) -> None:
        """Any edit: the server's last error no longer applies; check the form again."""
        if self._busy:
            return
        widget, text = self._check()
        self._show_problem("", text)
        self._highlight(widget)
        self._update_submit()

    def _update_submit(self) -> None:
        self.submit_button.setEnabled(not self._busy and not self.problem_text())

    def _show_problem(self, code: str, text: str) -> None:
        self.error_code.setText(code)
        self.error_code.setVisible(bool(code))
        self.problem.setText(text)
        self.problem.setStyleSheet("" if self._busy else f"color: {ERROR_COLOUR}")

    def _highlight(self, invalid: QWidget | None) -> None:
        """The wrong field gets a red-tinted background and a bold red label. A palette,
        not a style sheet: a style sheet's border makes spin boxes and combo boxes fall
        back to a plainer drawing, arrows included."""
        for widget, label in self._labels.items():
            on = widget is invalid
            if bool(widget.property("invalid")) == on:
                continue
            widget.setProperty("invalid", on)
            widget.setPalette(tinted(widget.palette()) if on else QPalette())
            label.setStyleSheet(f"color: {ERROR_COLOUR}; font-weight: bold" if on else "")

    def highlighted(self) -> list[QWidget]:
        """The fields shown as wrong (for tests and accessibility checks)."""
        return [widget for widget in self._labels if widget.property("invalid")]

    def _submit(self) -> None:
        if self._busy or self.problem_text():
            return
        self.submit_requested.emit(self.server.currentText(), self.request())


def tinted(palette: QPalette) -> QPalette:
    """``palette`` with its field and button backgrounds a quarter of the way to red, so
    the tint reads in light and dark themes alike."""
    red = QColor(ERROR_COLOUR)
    for role in (QPalette.ColorRole.Base, QPalette.ColorRole.Button):
        colour = palette.color(role)
        palette.setColor(
            role,
            QColor(
                round(colour.red() * 0.75 + red.red() * 0.25),
                round(colour.green() * 0.75 + red.green() * 0.25),
                round(colour.blue() * 0.75 + red.blue() * 0.25),
            ),
        )
    return palette


def job_types(seen: Iterable[JobSummary]) -> list[str]:
    """The job type choices: seed 002's known ones first, then those of jobs seen."""
    known = list(KNOWN_JOB_TYPES)
    others = {job.job_type for job in seen} - set(known)
    return known + sorted(others, key=str.casefold)
