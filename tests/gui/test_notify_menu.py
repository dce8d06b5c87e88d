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
        "stalled": True,  # on by default
        "retrying": False,
    }
    with qtbot.waitSignal(menu.changed) as changed:
        menu.toggles["stalled"].trigger()
    assert changed.args[0] == replace(NotifySettings(), started=True, stalled=False)


def test_retrying_can_be_switched_on(qtbot: QtBot) -> None:
    menu = NotificationsMenu(NotifySettings())
    qtbot.addWidget(menu)
    assert menu.toggles["retrying"].text() == "When an attempt fails and the job will be retried"
    with qtbot.waitSignal(menu.changed) as changed:
        menu.toggles["retrying"].trigger()
    assert changed.args[0].retrying is True
