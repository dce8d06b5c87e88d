"""The main window over a real job table model: search, filters, selection, actions."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from jobdesk.core.store import JobStore
from jobdesk.gui.main_window import MainWindow
from jobdesk.gui.models import JobTableModel
from jobdesk.protocol import Job, Status

NOW = "2026-11-22T10:00:00.000Z"


def job(job_id: str, status: Status, name: str) -> Job:
    return Job(id=job_id, name=name, status=status, created_at=NOW, updated_at=NOW)


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    store = JobStore()
    store.apply(
        "srv",
        epoch="e",
        jobs=[
            job("j1", Status.RUNNING, "render frames"),
            job("j2", Status.FAILED, "send e-mail"),
            job("j3", Status.COMPLETED, "render thumbnails"),
        ],
        replace=True,
    )
    model = JobTableModel(store, batch_ms=0)
    win = MainWindow(model, model)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    yield win
    model.detach()


def test_search_and_status_filter_reach_the_model(qtbot: QtBot, window: MainWindow) -> None:
    model = window.table.model()
    window.search.setText("render")
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    window.search.clear()
    window.status_filter.setCurrentIndex(window.status_filter.findData("failed"))
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    assert window.selected_keys() == []


def test_select_copy_and_force_fail_the_selection(qtbot: QtBot, window: MainWindow) -> None:
    window.select(("srv", "j2"))
    assert window.selected_keys() == [("srv", "j2")]
    window.copy_ids()
    assert QApplication.clipboard().text() == "j2"
    with qtbot.waitSignal(window.force_fail_requested) as asked:
        window.force_fail_action.trigger()
    assert asked.args == [[("srv", "j2")]]


def test_closing_quits_without_a_tray_and_hides_with_one(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    window.hide_on_close = True
    with qtbot.assertNotEmitted(window.quit_requested):
        window.close()
    assert window.isHidden()
    window.show()
    window.hide_on_close = False
    with qtbot.waitSignal(window.quit_requested):
        window.close()
