"""Which notifier a platform gets: desktop notifications where they can carry buttons,
tray balloons everywhere else.

Only Linux with a D-Bus session gets desktop-notifier: on macOS it needs a signed app
bundle (a plain ``python`` process gets nothing), and on Windows the tray's balloons are
the native toasts already. The desktop notifier falls back to the tray by itself when a
send fails, so a session bus without a notification service costs one failed send.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from collections.abc import Mapping

from PySide6.QtWidgets import QSystemTrayIcon

from jobdesk.gui.notify.base import Notifier
from jobdesk.gui.notify.desktop import DesktopNotifier
from jobdesk.gui.notify.tray_notifier import TrayNotifier

log = logging.getLogger(__name__)


def has_dbus_session(environ: Mapping[str, str]) -> bool:
    """The address dbus-fast connects to (it has no other way to find a session bus here)."""
    return bool(environ.get("DBUS_SESSION_BUS_ADDRESS"))


def choose_notifier(
    tray_icon: QSystemTrayIcon,
    *,
    loop: asyncio.AbstractEventLoop | None = None,
    platform: str = sys.platform,
    environ: Mapping[str, str] = os.environ,
) -> Notifier:
    """Call on the running qasync loop (or pass ``loop``): desktop notifications use it."""
    tray = TrayNotifier(tray_icon)
    if platform.startswith("linux") and has_dbus_session(environ):
        try:
            return DesktopNotifier(tray, loop=loop)
        except Exception:
            log.warning("desktop notifications unavailable; using the tray", exc_info=True)
    return tray
