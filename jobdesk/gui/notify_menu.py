"""The Notifications menu: which events notify, remembered across restarts."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QMenu, QWidget

from jobdesk.core.notify_policy import NotifySettings

EVENTS = (
    ("completed", "When a job completes"),
    ("failed", "When a job fails"),
    ("started", "When a job starts"),
    ("stalled", "When a job stalls (no progress for a while)"),
    ("retrying", "When an attempt fails and the job will be retried"),
)


class NotificationsMenu(QMenu):
    changed = Signal(object)
    """The new NotifySettings."""

    def __init__(self, settings: NotifySettings, parent: QWidget | None = None) -> None:
        super().__init__("&Notifications", parent)
        self.settings = settings
        self.toggles: dict[str, QAction] = {}
        for field, label in EVENTS:
            action = self.addAction(label)
            action.setCheckable(True)
            action.setChecked(bool(getattr(settings, field)))
            action.toggled.connect(lambda on, field=field: self._toggle(field, on))
            self.toggles[field] = action

    def _toggle(self, field: str, on: bool) -> None:
        changes: dict[str, Any] = {field: on}
        self.settings = replace(self.settings, **changes)
        self.changed.emit(self.settings)
