"""The New job dialog: live validation, the request it emits, and how a refusal shows."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QDialogButtonBox
from pytestqt.qtbot import QtBot

from jobdesk.gui.new_job_dialog import NewJobDialog, job_types
from jobdesk.protocol import KNOWN_JOB_TYPES, ErrorCode, Job, Priority
from jobdesk.protocol.rest import CreateJobRequest

NOW = "2026-11-22T10:00:00.000Z"


@pytest.fixture
def dialog(qtbot: QtBot) -> NewJobDialog:
    made = NewJobDialog(["prod", "staging"], job_types([]), server="staging")
    qtbot.addWidget(made)
    made.show()
    return made


def test_defaults_make_a_valid_request(dialog: NewJobDialog) -> None:
    assert not dialog.isModal()
    assert dialog.server.currentText() == "staging"
    assert dialog.problem_text() == ""
    assert dialog.submit_button.isEnabled()
    assert dialog.request() == CreateJobRequest(
        job_type="generic", priority=Priority.MEDIUM, max_attempts=3
    )
    assert dialog.timeout.text() == "server default"


def test_the_form_becomes_the_request(qtbot: QtBot, dialog: NewJobDialog) -> None:
    dialog.server.setCurrentText("prod")
    dialog.name.setText("  nightly report ")
    dialog.job_type.setCurrentText("document_analysis")
    dialog.priority.setCurrentIndex(dialog.priority.findData(Priority.HIGH))
    dialog.payload.setPlainText('{"documents": ["a.pdf"], "pages": 12}')
    dialog.max_attempts.setValue(5)
    dialog.timeout.setValue(90)
    with qtbot.waitSignal(dialog.submit_requested) as asked:
        dialog.submit_button.click()
    assert asked.args == [
        "prod",
        CreateJobRequest(
            name="nightly report",
            job_type="document_analysis",
            priority=Priority.HIGH,
            payload={"documents": ["a.pdf"], "pages": 12},
            max_attempts=5,
            timeout=90.0,
        ),
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ('{"a": 1,}', "Payload: not JSON: line 1, column 9: "),  # words vary by Python
        (
            '{\n  "a": 1\n  "b": 2\n}',
            "Payload: not JSON: line 3, column 3: expecting ',' delimiter",
        ),
        ('{"a": NaN}', "Payload: NaN is not JSON (use null, a number or a string)"),
        ("[1, 2", "Payload: not JSON: line 1, column 6: expecting ',' delimiter"),
    ],
)
def test_a_bad_payload_is_named_as_it_is_typed(
    dialog: NewJobDialog, text: str, problem: str
) -> None:
    dialog.payload.setPlainText(text)
    assert dialog.problem.text().startswith(problem)
    assert dialog.highlighted() == [dialog.payload]
    assert not dialog.submit_button.isEnabled()
    dialog.payload.setPlainText('"just a string"')
    assert dialog.problem.text() == ""
    assert dialog.highlighted() == []
    assert dialog.submit_button.isEnabled()
    assert dialog.request().payload == "just a string"


def test_an_empty_payload_is_no_payload_and_a_job_type_is_required(dialog: NewJobDialog) -> None:
    dialog.payload.setPlainText("  \n ")
    assert dialog.request().payload is None
    dialog.job_type.setCurrentText(" ")
    assert dialog.problem.text() == "Job type: required (e.g. generic)."
    assert dialog.highlighted() == [dialog.job_type]
    assert not dialog.submit_button.isEnabled()


def test_a_refusal_shows_the_code_the_message_and_the_field(
    qtbot: QtBot, dialog: NewJobDialog
) -> None:
    dialog.set_busy(True)
    assert not dialog.submit_button.isEnabled()
    assert dialog.submit_button.text() == "Submitting…"
    assert dialog.problem.text() == "Submitting to staging…"
    dialog.show_error(
        ErrorCode.INVALID_INPUT, "invalid maxAttempts: Expected `int` >= 1", "maxAttempts"
    )
    assert dialog.isVisible()
    assert dialog.error_code.text() == "INVALID_INPUT"
    assert dialog.problem.text().startswith("invalid maxAttempts: Expected `int` >= 1\n")
    assert dialog.highlighted() == [dialog.max_attempts]
    assert dialog.submit_button.isEnabled()  # the operator may just try again
    qtbot.waitUntil(lambda: dialog.max_attempts.hasFocus() or not dialog.isActiveWindow())
    dialog.max_attempts.setValue(2)  # an edit: the server's complaint no longer applies
    assert (dialog.error_code.text(), dialog.highlighted()) == ("", [])


@pytest.mark.parametrize(
    ("code", "hint"),
    [
        (ErrorCode.AUTH_REQUIRED, "File > Servers"),
        (ErrorCode.SUBMISSION_FAILED, "Nothing was submitted"),
        (ErrorCode.UNKNOWN_ERROR, "nothing was submitted"),
    ],
)
def test_other_codes_say_what_to_do(dialog: NewJobDialog, code: ErrorCode, hint: str) -> None:
    dialog.show_error(code, "the server's words")
    assert dialog.error_code.text() == code.value
    assert dialog.error_code.isVisibleTo(dialog)
    assert dialog.problem.text().startswith("the server's words\n")
    assert hint in dialog.problem.text()
    assert dialog.highlighted() == []


def test_a_single_server_is_not_a_choice(qtbot: QtBot) -> None:
    single = NewJobDialog(["prod"], ["generic"])
    qtbot.addWidget(single)
    assert not single.server.isEnabled()
    assert single.server.currentText() == "prod"


def test_job_types_known_first_then_those_seen() -> None:
    seen = [
        Job(id=f"j{i}", name="x", job_type=t, created_at=NOW, updated_at=NOW)
        for i, t in enumerate(["render", "llm_agent", "Backup", "render"])
    ]
    assert job_types(seen) == [*KNOWN_JOB_TYPES, "Backup", "render"]


def test_enter_submits_a_valid_form_and_cancel_is_not_the_default(
    qtbot: QtBot, dialog: NewJobDialog
) -> None:
    assert dialog.submit_button.isDefault()
    cancel = dialog.buttons.button(QDialogButtonBox.StandardButton.Cancel)
    assert not cancel.isDefault()
    assert not cancel.autoDefault()  # focus on it would make it the default otherwise
    dialog.name.setText("from the keyboard")
    for field in (dialog.name, dialog.job_type):
        with qtbot.waitSignal(dialog.submit_requested, timeout=2000) as asked:
            QTest.keyClick(field, Qt.Key.Key_Return)
        assert asked.args[1].name == "from the keyboard"
    assert dialog.isVisible()  # it closes when the submission succeeds, not on Enter


def test_enter_does_nothing_while_the_form_is_invalid(qtbot: QtBot, dialog: NewJobDialog) -> None:
    dialog.payload.setPlainText("{not json")
    with qtbot.assertNotEmitted(dialog.submit_requested):
        QTest.keyClick(dialog.name, Qt.Key.Key_Return)
    assert dialog.isVisible()
