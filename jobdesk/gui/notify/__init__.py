"""Showing notifications: desktop notifications with buttons, or tray balloons.

``choose_notifier`` picks one; ``NotificationCenter`` connects the core's
``NotifyPolicy`` to it and to the tray.
"""

from jobdesk.gui.notify.base import Action, Notification, Notifier
from jobdesk.gui.notify.bind import ForceFail, OpenJob, bind
from jobdesk.gui.notify.center import NotificationCenter
from jobdesk.gui.notify.choose import choose_notifier, has_dbus_session
from jobdesk.gui.notify.desktop import DesktopNotifier
from jobdesk.gui.notify.tray_notifier import TrayNotifier

__all__ = [
    "Action",
    "DesktopNotifier",
    "ForceFail",
    "Notification",
    "NotificationCenter",
    "Notifier",
    "OpenJob",
    "TrayNotifier",
    "bind",
    "choose_notifier",
    "has_dbus_session",
]
