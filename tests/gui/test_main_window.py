"""The main window over a real job table model: search, filters, selection, actions."""

from __future__ import annotations

from collections.abc import Iterator

import msgspec
import pytest
from PySide6.QtCore import QEvent, QItemSelectionModel, QPoint, QPointF, Qt
from PySide6.QtGui import QEnterEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QMenu, QMessageBox, QToolButton
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
    assert not window.force_fail_action.isEnabled()  # a failed job: nothing to force-fail
    window.select(("srv", "j1"))
    assert window.force_fail_action.isEnabled()
    window.force_fail_action.trigger()
    box = window.confirmation
    assert box.isVisible()
    assert box.windowModality() != Qt.WindowModality.ApplicationModal
    assert "“render frames”" in box.text()
    window.select(("srv", "j3"))  # the selection moves on before the answer
    with qtbot.waitSignal(window.force_fail_requested) as asked:
        box.button(QMessageBox.StandardButton.Yes).click()
    assert asked.args == [[("srv", "j1")]]


def test_no_answer_no_action(qtbot: QtBot, window: MainWindow) -> None:
    window.select(("srv", "j1"))
    window.force_fail_action.trigger()
    with qtbot.assertNotEmitted(window.force_fail_requested):
        window.confirmation.button(QMessageBox.StandardButton.Cancel).click()


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


@pytest.fixture
def queue_store() -> JobStore:
    """One job in each status, to select in any combination."""
    store = JobStore()
    store.apply("srv", epoch="e", jobs=[job(s.value, s, s.value) for s in Status], replace=True)
    return store


@pytest.fixture
def queue_window(qtbot: QtBot, queue_store: JobStore) -> Iterator[MainWindow]:
    model = JobTableModel(queue_store, batch_ms=0)
    win = MainWindow(model, model)
    qtbot.addWidget(win)
    qtbot.waitUntil(lambda: model.rowCount() == len(Status))
    yield win
    model.detach()


def select(window: MainWindow, *ids: str) -> None:
    window.table.clearSelection()
    for job_id in ids:
        row = window.jobs.row_of_key(("srv", job_id))
        assert row is not None
        window.table.selectionModel().select(
            window.table.model().index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )


@pytest.mark.parametrize(
    ("selected", "cancel", "retry"),
    [
        ((), False, False),
        (("queued",), True, False),
        (("running",), True, False),
        (("retrying",), True, False),
        (("completed",), False, False),
        (("failed",), False, True),
        (("cancelled",), False, True),
        (("running", "failed"), True, True),
        (("completed", "failed"), False, True),
    ],
)
def test_cancel_retry_and_force_fail_follow_the_selected_statuses(
    queue_window: MainWindow, selected: tuple[str, ...], cancel: bool, retry: bool
) -> None:
    select(queue_window, *selected)
    assert queue_window.cancel_action.isEnabled() is cancel
    assert queue_window.retry_action.isEnabled() is retry
    assert queue_window.force_fail_action.isEnabled() is ("running" in selected)


def test_the_detail_panel_buttons_are_the_same_actions(
    qtbot: QtBot, queue_window: MainWindow
) -> None:
    buttons = {b.text(): b for b in queue_window.detail.findChildren(QToolButton)}
    assert set(buttons) == {"Cancel selected", "Retry selected", "Acknowledge"}
    select(queue_window, "failed")
    assert buttons["Retry selected"].isEnabled()
    assert not buttons["Cancel selected"].isEnabled()
    with qtbot.waitSignal(queue_window.retry_requested) as asked:
        buttons["Retry selected"].click()
    assert asked.args == [[("srv", "failed")]]


def test_acknowledge_is_a_key_on_the_table_and_a_button_not_a_selection(
    qtbot: QtBot, queue_window: MainWindow
) -> None:
    assert not queue_window.acknowledge_action.isEnabled()  # nothing selected
    with qtbot.assertNotEmitted(queue_window.acknowledge_requested):
        select(queue_window, "failed")  # looking is not dealing with it
    assert queue_window.acknowledge_action.isEnabled()
    queue_window.show()
    queue_window.activateWindow()
    qtbot.waitActive(queue_window)
    queue_window.table.setFocus()
    qtbot.waitUntil(queue_window.table.hasFocus)
    for key in (Qt.Key.Key_A, Qt.Key.Key_Space):
        with qtbot.waitSignal(queue_window.acknowledge_requested) as asked:
            QTest.keyClick(queue_window.table, key)
        assert asked.args == [[("srv", "failed")]]
    queue_window.search.setFocus()
    with qtbot.assertNotEmitted(queue_window.acknowledge_requested):
        QTest.keyClick(queue_window.search, Qt.Key.Key_A)  # typing a search is typing
    assert queue_window.search.text() == "a"


def test_a_selected_job_changing_status_changes_the_actions(
    qtbot: QtBot, queue_window: MainWindow, queue_store: JobStore
) -> None:
    select(queue_window, "running")
    model = queue_window.table.model()
    assert isinstance(model, JobTableModel)
    failed = msgspec.structs.replace(job("running", Status.FAILED, "running"), version=2)
    with qtbot.waitSignal(model.batch_applied):
        queue_store.apply("srv", epoch="e", jobs=[failed])
    queue_window.refresh_job_actions()  # the controller calls it after such a batch
    assert (queue_window.cancel_action.isEnabled(), queue_window.retry_action.isEnabled()) == (
        False,
        True,
    )


def test_cancel_sends_the_selection_and_ctrl_n_asks_for_a_new_job(
    qtbot: QtBot, queue_window: MainWindow
) -> None:
    select(queue_window, "queued", "running", "completed")
    queue_window.cancel_action.trigger()
    box = queue_window.confirmation
    assert box.windowTitle() == "Cancel 2 jobs"  # the completed one is not asked about
    assert "“running” and “queued”" in box.text()  # in the rows' (triage) order
    with qtbot.waitSignal(queue_window.cancel_requested) as asked:
        box.button(QMessageBox.StandardButton.Yes).click()
    assert sorted(asked.args[0]) == [("srv", "queued"), ("srv", "running")]
    # the offscreen platform activates no window, so no shortcut fires: check the binding
    new_job = queue_window.new_job_action
    assert new_job.shortcut().toString() == "Ctrl+N"
    assert new_job in queue_window.actions()  # anywhere in the window, menu open or not
    with qtbot.waitSignal(queue_window.new_job_requested):
        new_job.trigger()


def test_reveal_clears_what_hides_the_job(qtbot: QtBot, window: MainWindow) -> None:
    window.search.setText("e-mail")
    qtbot.waitUntil(lambda: window.table.model().rowCount() == 1)
    assert window.reveal(("srv", "j1"))
    assert window.search.text() == ""
    assert window.selected_keys() == [("srv", "j1")]
    assert not window.reveal(("srv", "not-yet-here"))


def test_the_order_holds_while_the_pointer_is_over_the_table_or_a_menu_is_open(
    qtbot: QtBot, window: MainWindow
) -> None:
    model = window.table.model()
    assert isinstance(model, JobTableModel)
    window.show()
    viewport = window.table.viewport()
    QApplication.sendEvent(viewport, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert model.is_held()
    assert window.status.order.isVisibleTo(window.status)
    assert window.status.order.text() == "order paused"
    menu = QMenu(window)
    window.order_hold.watch_menu(menu)
    menu.aboutToShow.emit()
    QApplication.sendEvent(viewport, QEvent(QEvent.Type.Leave))
    assert model.is_held()  # the menu is still open
    menu.aboutToHide.emit()
    assert not model.is_held()
    assert not window.status.order.isVisibleTo(window.status)
    header = window.table.horizontalHeader()
    QApplication.sendEvent(header, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert model.is_held()
    QApplication.sendEvent(header, QEvent(QEvent.Type.Leave))  # from the header to the rows
    QApplication.sendEvent(viewport, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert model.is_held()
    with qtbot.waitSignal(model.order_held, timeout=2000) as released:
        QApplication.sendEvent(viewport, QEvent(QEvent.Type.Leave))
    assert released.args == [False]


def test_a_resting_pointer_lets_the_order_catch_up_and_a_movement_holds_it_again(
    qtbot: QtBot, window: MainWindow
) -> None:
    """A mouse left on the window is not aiming: the order must not freeze for good."""
    model = window.table.model()
    assert isinstance(model, JobTableModel)
    window.show()
    viewport = window.table.viewport()
    window.order_hold.set_rest_after(0.05)
    QApplication.sendEvent(viewport, QEnterEvent(QPointF(5, 5), QPointF(5, 5), QPointF(5, 5)))
    assert model.is_held()
    qtbot.waitUntil(lambda: not model.is_held())  # rested
    QTest.mouseMove(viewport, QPoint(20, 20))
    assert model.is_held()
    QApplication.sendEvent(viewport, QEvent(QEvent.Type.Leave))
    qtbot.waitUntil(lambda: not model.is_held())


def test_no_matches_line_detail_panel_and_triage_action(qtbot: QtBot, window: MainWindow) -> None:
    window.show()
    assert window.table.horizontalHeader().sortIndicatorSection() == -1  # triage order
    assert not window.detail.isVisible()  # nothing selected: the table has the width
    window.select(("srv", "j1"))
    assert window.detail.isVisible()
    window.table.clearSelection()
    assert not window.detail.isVisible()
    window.search.setText("nothing like this")
    qtbot.waitUntil(lambda: window.table.model().rowCount() == 0)
    qtbot.waitUntil(window.no_matches.isVisible)
    window.search.clear()
    qtbot.waitUntil(lambda: not window.no_matches.isVisible())
    window.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    window.triage_action.trigger()
    assert window.table.horizontalHeader().sortIndicatorSection() == -1
    model = window.table.model()
    assert isinstance(model, JobTableModel)
    assert model.sort_column() == -1
    assert window.status_filter.findData("stale") >= 0


def test_one_view_menu_holds_the_views_and_the_triage_order(window: MainWindow) -> None:
    titles = [a.text() for a in window.menuBar().actions()]
    assert titles.count("&View") == 1
    assert [a.text() for a in window.view_menu.actions() if a.text()] == [
        "Triage order",
        "Jobs",
        "Workers and queues",
        "History",
    ]


def test_a_first_start_fits_the_window_on_the_screen(window: MainWindow) -> None:
    """(A saved geometry, which the other tests leave behind, is the operator's own.)"""
    room = window.screen().availableGeometry()
    window.resize(room.width() + 500, room.height() + 500)
    window.fit_screen()
    assert window.height() <= room.height() - MainWindow.FRAME_ALLOWANCE
    assert window.width() <= room.width()
