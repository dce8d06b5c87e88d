"""What every way of showing a notification takes: words, urgency and actions.

A ``Notification`` knows nothing of jobs: its actions are labelled callbacks, bound by
``jobdesk.gui.notify.bind`` to "open this job" or "force-fail this job", so a notifier
only has to show text and call back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from jobdesk.core.notice import Urgency

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Action:
    label: str
    callback: Callable[[], None]
    default: bool = False
    """Also what clicking the notification itself does."""

    def invoke(self) -> None:
        """Run the callback; a failure is logged, never raised into the notifier."""
        try:
            self.callback()
        except Exception:
            log.exception("the notification action %r failed", self.label)


@dataclass(frozen=True)
class Notification:
    title: str
    body: str
    urgency: Urgency = Urgency.NORMAL
    actions: tuple[Action, ...] = ()
    tag: int = 0
    """Given by the notification center, so it can withdraw what it showed."""

    @property
    def default_action(self) -> Action | None:
        return next((a for a in self.actions if a.default), None)


class Notifier(Protocol):
    def show(self, notification: Notification) -> None:
        """Show it without blocking; failing is the notifier's own business."""

    def withdraw(self, tag: int) -> None:
        """Close the notification shown with this tag, where the platform can."""
