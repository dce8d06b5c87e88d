"""The tray icon: the monitor's state at a glance, and the way back to the window.

The icon is drawn at runtime at each size a tray may ask for (a coloured circle for the
overall state, a badge with the number of failures not yet acknowledged), so there are
no image files to ship or theme.
Where the desktop has no tray, ``available`` is False and nothing is shown: the app must
then make closing the window quit, or the monitor would run on with no way back.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, QRectF, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QFontMetricsF, QIcon, QPainter, QPen, QPixmap
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from jobdesk.core.tray_state import TrayState, TrayStatus

STATE_COLOUR = {
    TrayState.DISCONNECTED: QColor("#8a8a8a"),
    TrayState.FAILURES: QColor("#d03c3c"),
    TrayState.STALE: QColor("#e0a020"),
    TrayState.RUNNING: QColor("#2f7fd0"),
    TrayState.ALL_WELL: QColor("#2e9d4e"),
}
BADGE_FILL = QColor("white")
BADGE_TEXT = QColor("#a01818")
BADGE_OUTLINE = QColor("#202020")
"""A white badge with dark red figures and a dark rim: readable on every state's colour
(red on red was not), and on a light or a dark panel."""
SIZES = (16, 22, 24, 32, 48, 64)
"""Drawn at each size a tray asks for: a badge scaled down from 64 px blurs its figure."""


def badge_text(failures: int) -> str:
    return "9+" if failures > 9 else str(failures)


def draw_icon(state: TrayState, failures: int = 0) -> QIcon:
    """A circle in the state's colour; a badge with the failure count (``9+`` beyond 9)."""
    icon = QIcon()
    for size in SIZES:
        icon.addPixmap(draw_pixmap(state, failures, size))
    return icon


def draw_pixmap(state: TrayState, failures: int, size: int) -> QPixmap:
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    try:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(STATE_COLOUR[state])
        margin = size / 16
        painter.drawEllipse(QRectF(margin, margin, size - 2 * margin, size - 2 * margin))
        if failures:
            _badge(painter, badge_text(failures), size)
    finally:
        painter.end()
    return pixmap


def badge_rect(text: str, size: int) -> tuple[QRectF, QFont]:
    """Where the badge goes (the top right corner, inside the icon) and the font that fits."""
    height = max(9.0, size * 0.58)
    font = QFont()
    font.setBold(True)
    font.setPixelSize(max(7, round(height * 0.8)))
    metrics = QFontMetricsF(font)
    while metrics.horizontalAdvance(text) > size - 4 and font.pixelSize() > 6:
        font.setPixelSize(font.pixelSize() - 1)
        metrics = QFontMetricsF(font)
    width = min(float(size), max(height, metrics.horizontalAdvance(text) + height * 0.45))
    return QRectF(size - width, 0, width, height), font


def _badge(painter: QPainter, text: str, size: int) -> None:
    box, font = badge_rect(text, size)
    rim = max(1.0, size / 32)
    inner = box.adjusted(rim / 2, rim / 2, -rim / 2, -rim / 2)
    painter.setPen(QPen(BADGE_OUTLINE, rim))
    painter.setBrush(BADGE_FILL)
    painter.drawRoundedRect(inner, inner.height() / 2, inner.height() / 2)
    painter.setPen(BADGE_TEXT)
    painter.setFont(font)
    painter.drawText(inner, Qt.AlignmentFlag.AlignCenter, text)


class Tray(QObject):
    show_window_requested = Signal()
    hide_window_requested = Signal()
    quit_requested = Signal()
    pause_toggled = Signal(bool)
    acknowledge_all_requested = Signal()

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
        self.acknowledge_all_action = QAction("Acknowledge all failures", self.menu)
        self.acknowledge_all_action.triggered.connect(self.acknowledge_all_requested)
        self.acknowledge_all_action.setEnabled(False)
        self.quit_action = QAction("Quit", self.menu)
        self.quit_action.triggered.connect(self.quit_requested)
        self.menu.addAction(self.window_action)
        self.menu.addAction(self.pause_action)
        self.menu.addAction(self.acknowledge_all_action)
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
        self.acknowledge_all_action.setEnabled(self.status.unacknowledged > 0)
        self.tray_icon.setIcon(draw_icon(self.status.state, self.status.unacknowledged))
        self.tray_icon.setToolTip(self.status.describe())

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason == QSystemTrayIcon.ActivationReason.Trigger:
            self.toggle_window()
