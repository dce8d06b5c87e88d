"""Notifications as tray balloons: the fallback that works wherever a tray does.

``QSystemTrayIcon.showMessage`` has no buttons; clicking the message runs the default
action (Open) of the last one shown. Nor can a balloon be withdrawn: acknowledging a job
or quitting leaves it until it times out. Without a tray the notification can only be
logged.
"""

from __future__ import annotations

import logging

from PySide6.QtWidgets import QSystemTrayIcon

from jobdesk.core.notice import Urgency
from jobdesk.gui.notify.base import Notification

log = logging.getLogger(__name__)

SHOWN_FOR_MS = 10_000

MESSAGE_ICON = {
    Urgency.LOW: QSystemTrayIcon.MessageIcon.Information,
    Urgency.NORMAL: QSystemTrayIcon.MessageIcon.Information,
    Urgency.CRITICAL: QSystemTrayIcon.MessageIcon.Critical,
}


class TrayNotifier:
    def __init__(self, tray_icon: QSystemTrayIcon) -> None:
        self._icon = tray_icon
        self._last: Notification | None = None
        tray_icon.messageClicked.connect(self._clicked)

    def show(self, notification: Notification) -> None:
        if not self._icon.isVisible():
            log.info("no tray to show %r: %s", notification.title, notification.body)
            return
        self._last = notification
        self._icon.showMessage(
            notification.title,
            notification.body,
            MESSAGE_ICON[notification.urgency],
            SHOWN_FOR_MS,
        )

    def withdraw(self, tag: int) -> None:
        """A balloon cannot be withdrawn (Qt has no call for it): it goes by itself
        after ``SHOWN_FOR_MS``, or when the next one replaces it."""

    def _clicked(self) -> None:
        action = self._last.default_action if self._last is not None else None
        if action is not None:
            action.invoke()
