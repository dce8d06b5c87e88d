"""Desktop notifications (freedesktop, over D-Bus) with action buttons, via desktop-notifier.

desktop-notifier is asynchronous: ``show`` only schedules the send on the event loop
(the qasync loop, so button presses come back on the GUI thread) and returns. The
library logs and swallows most failures, so success is judged by its ``on_dispatched``
callback: a send that raises, times out or is never dispatched is logged, that
notification goes to the fallback, and so do all later ones (a missing notification
service does not come back by itself, and each attempt would cost a timeout).

What was sent can be withdrawn (the daemon's CloseNotification, through the library's
``clear``): one notice when its job is acknowledged, and all of this monitor's when it
quits (``aclose``), so no failure notice outlives the monitor that could act on it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from typing import Any, Protocol

import desktop_notifier as dn

from jobdesk.core.notice import Urgency
from jobdesk.gui.notify.base import Action, Notification, Notifier

log = logging.getLogger(__name__)

SEND_TIMEOUT = 5.0
"""Seconds a send may take before the fallback takes over."""

URGENCY = {
    Urgency.LOW: dn.Urgency.Low,
    Urgency.NORMAL: dn.Urgency.Normal,
    Urgency.CRITICAL: dn.Urgency.Critical,
}
ICON = {
    Urgency.LOW: dn.Icon(name="dialog-information"),
    Urgency.NORMAL: dn.Icon(name="dialog-information"),
    Urgency.CRITICAL: dn.Icon(name="dialog-error"),
}


class Sender(Protocol):
    """What we use of ``desktop_notifier.DesktopNotifier`` (tests give a fake)."""

    async def send_notification(self, notification: dn.Notification) -> str: ...

    async def clear(self, identifier: str) -> None: ...


class DesktopNotifier:
    def __init__(
        self,
        fallback: Notifier,
        *,
        loop: asyncio.AbstractEventLoop | None = None,
        sender: Sender | None = None,
        app_name: str = "jobdesk",
        timeout: float = SEND_TIMEOUT,
    ) -> None:
        """Create it on the running qasync loop (or pass ``loop``)."""
        self.fallback = fallback
        self._loop = loop or asyncio.get_running_loop()
        self._sender = sender or dn.DesktopNotifier(app_name=app_name, app_icon=None)
        self._timeout = timeout
        self._tasks: set[asyncio.Task[None]] = set()
        """Sends under way."""
        self._clearing: set[asyncio.Task[None]] = set()
        """Withdrawals under way: finished on quit, not cancelled (each is bounded)."""
        self._sent: dict[int, str] = {}
        """Tag to the daemon's identifier, for what may still be on screen."""
        self.failed = False
        """True once a send failed: from then on everything goes to the fallback."""

    def show(self, notification: Notification) -> None:
        if self.failed:
            self.fallback.show(notification)
            return
        self._spawn(self._send(notification), self._tasks)

    def withdraw(self, tag: int) -> None:
        identifier = self._sent.pop(tag, None)
        if identifier is not None:
            self._spawn(self._clear(identifier), self._clearing)
        elif self.failed:
            self.fallback.withdraw(tag)

    async def aclose(self) -> None:
        """On quit: cancel sends still under way (no task may outlive the loop), then
        withdraw every notification this monitor left on screen."""
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        identifiers, self._sent = list(self._sent.values()), {}
        await asyncio.gather(*self._clearing, *(self._clear(i) for i in identifiers))

    def _spawn(self, work: Coroutine[Any, Any, None], tasks: set[asyncio.Task[None]]) -> None:
        task = self._loop.create_task(work)
        tasks.add(task)  # the loop holds tasks weakly
        task.add_done_callback(tasks.discard)

    def _closed(self, tag: int) -> None:
        self._sent.pop(tag, None)

    async def _clear(self, identifier: str) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._sender.clear(identifier)
        except KeyError:
            pass  # already gone (expired or closed by the daemon): desktop-notifier forgot it
        except Exception:
            log.warning("could not withdraw a desktop notification", exc_info=True)

    async def _send(self, notification: Notification) -> None:
        dispatched = asyncio.Event()
        native = _native(notification, dispatched.set, lambda: self._closed(notification.tag))
        if notification.tag:
            self._sent[notification.tag] = native.identifier
        try:
            async with asyncio.timeout(self._timeout):
                await self._sender.send_notification(native)
        except Exception:
            log.warning("desktop notification failed; using the tray instead", exc_info=True)
        else:
            if dispatched.is_set():
                return
            log.warning("desktop notification was not delivered; using the tray instead")
        self._sent.pop(notification.tag, None)
        self.failed = True
        self.fallback.show(notification)


def _native(
    notification: Notification, on_dispatched: Callable[[], None], on_closed: Callable[[], None]
) -> dn.Notification:
    """``on_closed``: the daemon closed it (dismissed, clicked or a button pressed), so
    there is nothing left to withdraw."""

    def closing(action: Action) -> Callable[[], None]:
        def pressed() -> None:
            on_closed()
            action.invoke()

        return pressed

    default = notification.default_action
    return dn.Notification(
        notification.title,
        notification.body,
        urgency=URGENCY[notification.urgency],
        icon=ICON[notification.urgency],
        buttons=tuple(dn.Button(a.label, closing(a)) for a in notification.actions),
        on_clicked=closing(default) if default is not None else on_closed,
        on_dismissed=on_closed,
        on_dispatched=on_dispatched,
    )
