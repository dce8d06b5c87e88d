"""The detail panel for a job with sub-operations, a log, metadata and an outcome."""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QProgressBar
from pytestqt.qtbot import QtBot

from jobdesk.gui.detail_panel import DetailPanel
from jobdesk.protocol import Job, LogEntry, Status, SubOperation

NOW = "2026-11-22T10:00:00.000Z"


def pipeline_job(**changes: object) -> Job:
    fields: dict[str, object] = {
        "id": "job_1",
        "name": "condense arguments",
        "status": Status.RUNNING,
        "progress": 62.5,
        "sub_operations": [
            SubOperation(name="data-loading", weight=1, progress=100),
            SubOperation(name="questions", weight=3, progress=50),
        ],
        "messages": [
            LogEntry(level="info", text="Processing question 1", timestamp=NOW),
            LogEntry(level="error", text="API rate limit <exceeded>", timestamp=NOW),
        ],
        "metadata": {"election": {"id": "e1", "rounds": [1, 2]}, "fileName": "a.pdf"},
        "attempts": 2,
        "created_at": NOW,
        "updated_at": NOW,
        **changes,
    }
    return Job(**fields)  # type: ignore[arg-type]


def test_a_job_with_sub_operations_is_shown_in_full(qtbot: QtBot) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_job(pipeline_job(), eta="about 2 min left")
    assert "condense arguments" in panel.title.text()
    assert panel.progress.value() == 625
    assert panel.progress.format() == "62.5 %"
    assert panel.eta.text() == "about 2 min left"
    items = [panel.sub_operations.itemAt(i) for i in range(panel.sub_operations.count())]
    widgets = [item.widget() for item in items if item is not None]
    texts = [w.text() for w in widgets if isinstance(w, QLabel)]
    values = [w.value() for w in widgets if isinstance(w, QProgressBar)]
    assert texts == ["data-loading  (weight 1)", "questions  (weight 3)"]
    assert values == [1000, 500]
    log = panel.log.toPlainText()
    assert log.index("API rate limit <exceeded>") < log.index(
        "Processing question 1"
    )  # newest first
    assert panel.metadata.topLevelItemCount() == 2
    election = panel.metadata.topLevelItem(0)
    assert election is not None
    assert (election.text(0), election.childCount()) == ("election", 2)
    assert panel.times.rowCount() == 6


def test_the_error_or_the_result_is_shown_in_full(qtbot: QtBot) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_job(pipeline_job(status=Status.FAILED, error="Traceback...\nValueError: bad"))
    assert panel.outcome_label.text() == "Error"
    assert panel.outcome.toPlainText() == "Traceback...\nValueError: bad"
    panel.show_job(pipeline_job(status=Status.COMPLETED, version=2, result={"documentId": "d1"}))
    assert panel.outcome_label.text() == "Result"
    assert '"documentId": "d1"' in panel.outcome.toPlainText()
    panel.show_job(None)
    assert panel.title.text() == "Select a job to see its details"
