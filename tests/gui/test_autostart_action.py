"""File > Start at login: the check mark is the autostart file, and toggling writes or
removes it; in the whole monitor, as the controller wires it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
import qasync
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from jobdesk import APP_ID
from jobdesk.core.store import JobStore
from jobdesk.gui.autostart import Autostart
from jobdesk.gui.autostart_action import AutostartToggle
from jobdesk.gui.controller import Controller
from jobdesk.gui.main_window import MainWindow
from jobdesk.gui.models import JobTableModel


@pytest.fixture(autouse=True)
def entry_path(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """The autostart folder (and settings.json) in a temporary XDG_CONFIG_HOME."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    return tmp_path / "autostart" / f"{APP_ID}.desktop"


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    model = JobTableModel(JobStore(), batch_ms=0)
    win = MainWindow(model, model)
    qtbot.addWidget(win)
    yield win
    model.detach()


def test_the_action_is_in_the_file_menu_and_toggles_the_file(
    qtbot: QtBot, window: MainWindow, entry_path: Path
) -> None:
    assert window.autostart_action in window.file_menu.actions()
    AutostartToggle(window.autostart_action, Autostart(), window)
    assert window.autostart_action.isCheckable()
    assert not window.autostart_action.isChecked()
    window.autostart_action.trigger()
    assert window.autostart_action.isChecked()
    assert "X-GNOME-Autostart-enabled=true" in entry_path.read_text()
    window.autostart_action.trigger()
    assert not window.autostart_action.isChecked()
    assert not entry_path.exists()


def test_the_check_mark_follows_the_file(
    qtbot: QtBot, window: MainWindow, entry_path: Path
) -> None:
    Autostart().enable()
    toggle = AutostartToggle(window.autostart_action, Autostart(), window)
    assert window.autostart_action.isChecked()
    entry_path.unlink()  # the desktop's startup settings removed it
    toggle.refresh()
    assert not window.autostart_action.isChecked()
    assert not entry_path.exists()  # reading never writes


def test_a_failed_write_is_reported_and_unchecked(
    qtbot: QtBot, window: MainWindow, entry_path: Path
) -> None:
    entry_path.parent.write_text("")  # a file where the autostart folder should be
    toggle = AutostartToggle(window.autostart_action, Autostart(), window)
    with qtbot.waitSignal(toggle.failed) as failed:
        window.autostart_action.trigger()
    assert "Cannot change Start at login" in str(failed.args[0])
    assert not window.autostart_action.isChecked()


def test_the_monitor_shows_the_entry_state_when_the_menu_opens(
    qapp: QApplication, qtbot: QtBot, entry_path: Path
) -> None:
    async def scenario() -> None:
        controller = Controller()
        qtbot.addWidget(controller.window)
        action = controller.window.autostart_action
        try:
            assert action.isVisible()
            assert not action.isChecked()
            Autostart().enable()
            controller.window.file_menu.aboutToShow.emit()
            assert action.isChecked()
            action.trigger()
            assert not Autostart().enabled()
        finally:
            controller.quit()
            await controller.closed.wait()
            controller.window.hide_on_close = True

    loop = qasync.QEventLoop(qapp)
    asyncio.set_event_loop(loop)
    try:
        with loop:
            loop.run_until_complete(asyncio.wait_for(scenario(), timeout=30))
    finally:
        asyncio.set_event_loop(None)
