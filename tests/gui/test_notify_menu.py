"""The Notifications menu reflects and changes the settings."""

from __future__ import annotations

from dataclasses import replace

from pytestqt.qtbot import QtBot

from jobdesk.core.notify_policy import NotifySettings
from jobdesk.gui.notify_menu import NotificationsMenu


def test_toggles_show_and_change_the_settings(qtbot: QtBot) -> None:
    menu = NotificationsMenu(replace(NotifySettings(), started=True))
    qtbot.addWidget(menu)
    assert {f: a.isChecked() for f, a in menu.toggles.items()} == {
        "completed": True,
        "failed": True,
        "started": True,
        "stalled": False,
    }
    with qtbot.waitSignal(menu.changed) as changed:
        menu.toggles["stalled"].trigger()
    assert changed.args[0] == replace(NotifySettings(), started=True, stalled=True)
