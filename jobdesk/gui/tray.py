"""The tray icon: the monitor's state at a glance, and the way back to the window.

The icon is drawn at runtime (a coloured circle for the overall state, a badge with the
number of failures not yet looked at), so there are no image files to ship or theme.
Where the desktop has no tray, ``available`` is False and nothing is shown: the app must
then make closing the window quit, or the monitor would run on with no way back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from jobdesk.core.tray_state import TrayState, TrayStatus

STATE_COLOUR = {
    TrayState.DISCONNECTED: QColor("#8a8a8a"),
    TrayState.FAILURES: QColor("#d03c3c"),
    TrayState.RUNNING: QColor("#2f7fd0"),
    TrayState.ALL_WELL: QColor("#2e9d4e"),
}
BADGE_COLOUR = QColor("#d03c3c")
SIZE = 64


def draw_icon(state: TrayState, failures: int = 0) -> QIcon:
    """A circle in the state's colour; a badge with the failure count (``9+`` beyond 9)."""
    pixmap = QPixmap(SIZE, SIZE)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(STATE_COLOUR[state])
        painter.drawEllipse(QRectF(4, 4, SIZE - 8, SIZE - 8))
        if failures:
            _badge(painter, "9+" if failures > 9 else str(failures))
    finally:
        painter.end()
    return QIcon(pixmap)


def _badge(painter: QPainter, text: str) -> None:
    box = QRectF(SIZE * 0.45, 0, SIZE * 0.55, SIZE * 0.55)
    painter.setPen(QPen(QColor("white"), 3))
    painter.setBrush(BADGE_COLOUR)
    painter.drawEllipse(box.adjusted(1.5, 1.5, -1.5, -1.5))
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(box.height() * (0.5 if len(text) > 1 else 0.62)))
    painter.setFont(font)
    painter.drawText(box, Qt.AlignmentFlag.AlignCenter, text)


class Tray(QObject):
    show_window_requested = Signal()
    hide_window_requested = Signal()
    quit_requested = Signal()
    pause_toggled = Signal(bool)

    def __init__(
        self, parent: QObject | None = None, *, tray_icon: QSystemTrayIcon | None = None
    ) -> None:
        """``tray_icon``: the QSystemTrayIcon to drive (tests give a subclass)."""
        super().__init__(parent)
        self.tray_icon = tray_icon if tray_icon is not None else QSystemTrayIcon(self)
        self.available = self.tray_icon.isSystemTrayAvailable()
        """False where the desktop has no tray: then closing the window must quit."""
        self._window_visible = False
        self.menu = QMenu()
        self.window_action = QAction("Show window", self.menu)
        self.window_action.triggered.connect(self.toggle_window)
        self.pause_action = QAction("Pause notifications", self.menu)
        self.pause_action.setCheckable(True)
        self.pause_action.toggled.connect(self.pause_toggled)
        self.quit_action = QAction("Quit", self.menu)
        self.quit_action.triggered.connect(self.quit_requested)
        self.menu.addAction(self.window_action)
        self.menu.addAction(self.pause_action)
        self.menu.addSeparator()
        self.menu.addAction(self.quit_action)
        self.tray_icon.setContextMenu(self.menu)
        self.tray_icon.activated.connect(self._activated)
        self.status = TrayStatus(TrayState.ALL_WELL)
        self._show_status()
        if self.available:
            self.tray_icon.setVisible(True)  # Qt warns when asked to show where no tray is

    def set_status(self, status: TrayStatus) -> None:
        """Connect ``NotificationCenter.status_changed`` here."""
        if status != self.status:
            self.status = status
            self._show_status()

    def set_window_visible(self, visible: bool) -> None:
        """The app tells the tray when the window is shown or hidden."""
        self._window_visible = visible
        self.window_action.setText("Hide window" if visible else "Show window")

    def toggle_window(self) -> None:
        if self._window_visible:
            self.hide_window_requested.emit()
        else:
            self.show_window_requested.emit()

    @property
    def paused(self) -> bool:
        return self.pause_action.isChecked()

    def _show_status(self) -> None:
        self.tray_icon.setIcon(draw_icon(self.status.state, self.status.unacknowledged))
        self.tray_icon.setToolTip(self.status.describe())

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()
