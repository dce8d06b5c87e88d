"""The whole monitor against a real server, on the qasync loop as ``jobdesk`` runs it:
submit from the New job dialog, see the job selected, cancel it, retry it; and a
refused submission keeps the dialog open with seed 000's code."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator, Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest
import qasync
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from jobdesk.client.monitor import ServerProfile
from jobdesk.core.connection import Transport
from jobdesk.gui.controller import Controller
from jobdesk.gui.main_thread_gc import collecting_on_this_thread
from jobdesk.gui.new_job_dialog import NewJobDialog
from jobdesk.protocol import Priority, Status
from tests.conftest import RunningServer


@pytest.fixture(autouse=True)
def private_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """settings.json and servers.json in a temporary folder; tray balloons, not D-Bus."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)


def run_on_qasync(qapp: QApplication, scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run ``scenario`` on a qasync loop over the test's QApplication, as the app does,
    garbage collected on this thread only, as the app does too: a monitor quit inside a
    scenario leaves Qt objects in cycles, and the in-process server's thread collecting
    them deleted their timers from the wrong thread (warnings, then a segfault)."""
    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        with loop, collecting_on_this_thread(qapp):
            loop.run_until_complete(asyncio.wait_for(scenario(), timeout=60))
    finally:
        asyncio.set_event_loop(None)


async def until(condition: Callable[[], object], within: float = 15.0) -> None:
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {within} s")
        await asyncio.sleep(0.01)


@contextlib.asynccontextmanager
async def monitor(qtbot: QtBot, server: RunningServer, token: str) -> AsyncIterator[Controller]:
    """The monitor watching ``server`` live; shut down as the Quit action does, whatever
    the test's outcome, before the loop ends."""
    controller = Controller()
    qtbot.addWidget(controller.window)
    try:
        controller.watch(ServerProfile("local", server.url, token))
        engine = controller.monitor.engines["local"]
        await until(lambda: engine.state.value.transport is Transport.LIVE)
        yield controller
    finally:
        controller.quit()
        await controller.closed.wait()
        controller.window.hide_on_close = True  # qtbot's closing it later must not quit again


def fill(dialog: NewJobDialog) -> None:
    dialog.name.setText("render the trailer")
    dialog.job_type.setCurrentText("render")
    dialog.priority.setCurrentIndex(dialog.priority.findData(Priority.HIGH))
    dialog.payload.setPlainText('{"frames": [1, 240]}')


def test_submit_select_cancel_and_retry(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        async with monitor(qtbot, server, server.tokens["operator"]) as controller:
            await submit_select_cancel_and_retry(controller)

    run_on_qasync(qapp, scenario)


async def submit_select_cancel_and_retry(controller: Controller) -> None:
    window = controller.window
    window.new_job_action.trigger()
    dialog = controller.new_job.dialog
    assert dialog is not None
    assert not dialog.isModal()
    fill(dialog)
    dialog.submit_button.click()
    await until(lambda: controller.new_job.dialog is None)  # submitted: the dialog closed
    await until(lambda: bool(window.selected_keys()))
    (key,) = window.selected_keys()
    job = controller.store.get(key)
    assert job is not None
    assert (job.name, job.job_type, job.priority, job.max_attempts) == (
        "render the trailer",
        "render",
        Priority.HIGH,
        3,
    )
    # the payload is not in the store's summary: the detail panel fetched the job whole
    await until(lambda: '"frames"' in window.detail.payload.toPlainText())
    assert json.loads(window.detail.payload.toPlainText()) == {"frames": [1, 240]}
    assert "Submitted render the trailer to local" in window.statusBar().currentMessage()
    assert window.cancel_action.isEnabled()
    assert not window.retry_action.isEnabled()

    window.cancel_action.trigger()  # asks first, naming the job
    box = window.confirmation
    assert box.isVisible()
    assert "render the trailer" in box.text()
    assert box.button(QMessageBox.StandardButton.Yes).text() == "Cancel 1"
    window.table.clearSelection()  # the answer acts on the job asked about, not the selection
    box.button(QMessageBox.StandardButton.Yes).click()
    window.select(key)
    await until(lambda: window.statusBar().currentMessage() == "Cancelled 1 job(s)")
    await until(lambda: window.retry_action.isEnabled())  # the table shows it cancelled
    assert controller.store.get(key).status is Status.CANCELLED  # type: ignore[union-attr]
    assert not window.cancel_action.isEnabled()

    window.retry_action.trigger()
    await until(lambda: window.statusBar().currentMessage() == "Retried 1 job(s)")
    await until(lambda: window.cancel_action.isEnabled())
    assert controller.store.get(key).status is Status.QUEUED  # type: ignore[union-attr]


def test_a_refused_submission_keeps_the_dialog_open_with_the_code(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        async with monitor(qtbot, server, server.tokens["viewer"]) as controller:
            await refused(controller)

    run_on_qasync(qapp, scenario)


async def refused(controller: Controller) -> None:
    controller.new_job.open()
    dialog = controller.new_job.dialog
    assert dialog is not None
    fill(dialog)
    dialog.submit_button.click()
    await until(lambda: dialog.error_code.text() != "")
    assert dialog.isVisible()
    assert controller.new_job.dialog is dialog
    assert dialog.error_code.text() == "AUTH_REQUIRED"
    assert "viewer" in dialog.problem.text()
    assert dialog.submit_button.isEnabled()
    assert len(controller.store) == 0
    dialog.reject()
    assert controller.new_job.dialog is None


def test_closing_the_dialog_does_not_stop_the_submission(
    qapp: QApplication, qtbot: QtBot, server: RunningServer
) -> None:
    async def scenario() -> None:
        async with monitor(qtbot, server, server.tokens["operator"]) as controller:
            await closed_while_submitting(controller)

    run_on_qasync(qapp, scenario)


async def closed_while_submitting(controller: Controller) -> None:
    window = controller.window
    window.status_filter.setCurrentIndex(window.status_filter.findData("failed"))
    controller.new_job.open()
    dialog = controller.new_job.dialog
    assert dialog is not None
    fill(dialog)
    dialog.submit_button.click()
    dialog.reject()  # before the task even started: it must not touch the dialog
    assert controller.new_job.dialog is None
    await until(lambda: "Submitted render the trailer" in window.statusBar().currentMessage())
    await until(lambda: bool(window.selected_keys()))  # shown, though "failed" hid it
    assert window.status_filter.currentData() == "all"
