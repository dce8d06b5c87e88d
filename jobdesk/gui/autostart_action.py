"""The "Start at login" menu action, kept equal to the autostart entry on disk.

The file is the state, not a setting of ours: the desktop's own startup settings can
remove or switch off the entry, so the check mark is read again whenever the menu opens.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QSignalBlocker, Signal
from PySide6.QtGui import QAction

from jobdesk.gui.autostart import Autostart


class AutostartToggle(QObject):
    failed = Signal(str)
    """Why the entry could not be written or removed (for the status bar)."""

    def __init__(self, action: QAction, autostart: Autostart, parent: QObject | None = None):
        super().__init__(parent)
        self.action = action
        self.autostart = autostart
        action.setCheckable(True)
        action.setToolTip(f"Open jobdesk when you log in ({autostart.path})")
        self.refresh()
        action.toggled.connect(self._toggled)

    def refresh(self) -> None:
        """Show what the file says, without writing it back."""
        with QSignalBlocker(self.action):
            self.action.setChecked(self.autostart.enabled())

    def _toggled(self, on: bool) -> None:
        try:
            if on:
                self.autostart.enable()
            else:
                self.autostart.disable()
        except OSError as exc:
            self.refresh()
            self.failed.emit(f"Cannot change Start at login: {exc}")
