"""The detail panel for a job with sub-operations, a log, metadata and an outcome."""

from __future__ import annotations

import msgspec
from PySide6.QtWidgets import QFormLayout, QLabel, QProgressBar
from pytestqt.qtbot import QtBot

from jobdesk.gui.attempt_history import short_time
from jobdesk.gui.detail_panel import DetailPanel
from jobdesk.gui.formatting import local_time_text
from jobdesk.protocol import Attempt, Job, JobSummary, LogEntry, Status, SubOperation

NOW = "2026-11-22T10:00:00.000Z"
LATER = "2026-11-22T10:00:04.000Z"


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
    assert panel.progress.format() == "62%"  # one way everywhere: gui/formatting.py
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
    assert panel.sub_operations.count() == 0  # nothing selected: no placeholder


def history(*outcomes: tuple[str, str | None]) -> list[Attempt]:
    return [
        Attempt(
            number=n,
            worker=f"render-{n}",
            started_at=NOW,
            ended_at=None if outcome == "running" else LATER,
            outcome=outcome,  # type: ignore[arg-type]
            error=error,
            lease=60.0,
        )
        for n, (outcome, error) in enumerate(outcomes, start=1)
    ]


def timeline(panel: DetailPanel) -> dict[str, str]:
    rows = {}
    for row in range(panel.times.rowCount()):
        label = panel.times.itemAt(row, QFormLayout.ItemRole.LabelRole)
        field = panel.times.itemAt(row, QFormLayout.ItemRole.FieldRole)
        assert label is not None
        assert field is not None
        label_widget, field_widget = label.widget(), field.widget()
        assert isinstance(label_widget, QLabel)
        assert isinstance(field_widget, QLabel)
        rows[label_widget.text()] = field_widget.text()
    return rows


def test_a_retrying_job_shows_its_attempts_and_when_it_runs_again(qtbot: QtBot) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_job(
        pipeline_job(
            status=Status.RETRYING,
            attempts=2,
            max_attempts=3,
            retry_at=LATER,
            history=history(
                ("lease_expired", None), ("failed", "Traceback...\nValueError: bad page")
            ),
        )
    )
    rows = timeline(panel)
    assert rows["Attempts"] == "2 of 3"
    assert rows["Next attempt"] == f"not before {local_time_text(LATER)}"
    assert "Lease expires" not in rows
    assert panel.history_box.isVisibleTo(panel)
    assert panel.history.rows() == [
        ["1", "render-1", short_time(NOW), short_time(LATER), "lease expired", ""],
        ["2", "render-2", short_time(NOW), short_time(LATER), "failed", "Traceback..."],
    ]
    second = panel.history.topLevelItem(1)
    assert second is not None
    assert second.toolTip(5) == "Traceback...\nValueError: bad page"  # the whole error


def test_a_running_leased_job_shows_when_its_lease_ends(qtbot: QtBot) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_job(
        pipeline_job(
            attempts=1,
            max_attempts=3,
            lease_expires_at=LATER,
            timeout=600.0,
            payload={"documents": ["a.pdf"]},
            history=history(("running", None)),
        )
    )
    rows = timeline(panel)
    assert rows["Lease expires"] == local_time_text(LATER)
    assert rows["Timeout"] == "600 s per attempt"
    assert "Next attempt" not in rows
    assert panel.history.rows() == [["1", "render-1", short_time(NOW), "—", "running", ""]]
    assert panel.payload.isVisibleTo(panel)
    assert '"documents": [\n    "a.pdf"\n  ]' in panel.payload.toPlainText()


def test_a_job_without_history_or_payload_hides_those_parts(qtbot: QtBot) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_job(pipeline_job())
    assert not panel.history_box.isVisibleTo(panel)
    assert not panel.payload.isVisibleTo(panel)
    assert timeline(panel)["Attempts"] == "2"  # more than the one allowed: an older job
    panel.show_job(pipeline_job(attempts=0, version=2))
    assert timeline(panel)["Attempts"] == "0 of 1"


def summary_of(job: Job) -> JobSummary:
    fields = {name: getattr(job, name) for name in JobSummary.__struct_fields__}
    return JobSummary(**fields)


def test_a_summary_shows_at_once_and_the_fetched_job_fills_the_rest(qtbot: QtBot) -> None:
    """The store holds summaries; the log, sub-operations and result come with the job
    fetched whole, which may lag the summary or fail to come."""
    panel = DetailPanel()
    qtbot.addWidget(panel)
    whole = pipeline_job(status=Status.COMPLETED, result={"documentId": "d1"})
    panel.show_job(summary_of(whole))
    assert "condense arguments" in panel.title.text()
    assert panel.progress.value() == 625
    assert panel.metadata.topLevelItemCount() == 2  # metadata is in the summary
    assert panel.detail_note.text() == "Loading the log…"
    assert panel.log.toPlainText() == ""
    assert panel.outcome.isHidden()
    panel.show_job(summary_of(whole), detail=whole)
    assert panel.detail_note.isHidden()
    assert "Processing question 1" in panel.log.toPlainText()
    assert '"documentId": "d1"' in panel.outcome.toPlainText()
    newer = msgspec.structs.replace(whole, version=2, progress=80.0)
    panel.show_job(summary_of(newer), detail=whole, detail_note="Log not refreshed: offline")
    assert panel.progress.value() == 800  # the summary is the newest
    assert "Processing question 1" in panel.log.toPlainText()  # the last copy stays
    assert panel.detail_note.text() == "Log not refreshed: offline"
    other = pipeline_job(id="job_2")
    panel.show_job(summary_of(other), detail=whole)  # another job's copy is not shown
    assert panel.log.toPlainText() == ""


def test_the_error_sits_under_the_status_line(qtbot: QtBot) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_job(pipeline_job(status=Status.FAILED, error="SMTP 550: mailbox unavailable"))
    body = panel.status.parentWidget()
    assert body is not None
    layout = body.layout()
    assert layout is not None
    where = {layout.indexOf(widget): widget for widget in (panel.outcome, panel.log, panel.status)}
    assert [where[i] for i in sorted(where)] == [panel.status, panel.outcome, panel.log]
    assert panel.outcome.isVisibleTo(panel)


def test_a_stale_job_and_an_unreachable_server_read_apart_and_the_note_goes(
    qtbot: QtBot,
) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    job = pipeline_job(stale=True)
    panel.show_job(job, stale_note="(server not reachable: data may be old)")
    assert panel.status.text().startswith("stale (no update for a while)")
    assert "not reachable" in panel.status.text()
    panel.show_job(job)  # the server is back (a new token, say): the note must go
    assert "not reachable" not in panel.status.text()
    assert "medium" in panel.status.text()  # priorities in one case


def test_another_job_is_read_from_the_top_and_times_are_local(qtbot: QtBot) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.resize(400, 300)
    panel.show()
    panel.show_job(pipeline_job(metadata={f"k{n}": n for n in range(60)}))
    bar = panel.scroll_area.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    bar.setValue(bar.maximum())
    panel.show_job(pipeline_job(id="job_2", version=2))
    assert bar.value() == 0
    rows = timeline(panel)
    assert "ago)" in rows["Created"]  # local time, and how long ago
    assert "T10:00" not in rows["Created"]  # not the wire's ISO form
    created = panel.times.itemAt(0, QFormLayout.ItemRole.FieldRole)
    assert created is not None
    widget = created.widget()
    assert widget is not None
    assert NOW in widget.toolTip()  # the ISO UTC moment is in the tooltip


def test_a_one_line_error_takes_a_line_and_a_long_one_scrolls(qtbot: QtBot) -> None:
    panel = DetailPanel()
    qtbot.addWidget(panel)
    panel.show_job(pipeline_job(status=Status.FAILED, error="SMTP 550"))
    short = panel.outcome.height()
    long_error = "\n".join(f"line {n}" for n in range(40))
    panel.show_job(pipeline_job(status=Status.FAILED, version=2, error=long_error))
    tall = panel.outcome.height()
    assert short < tall
    assert tall < 20 * panel.outcome.fontMetrics().lineSpacing()  # capped: it scrolls
