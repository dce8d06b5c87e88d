"""State icons: small coloured circles drawn once per state, no image files.

A stale job's is an amber ring (hollow), so it differs from retrying's orange dot by
shape as well as colour.

Drawn at two sizes so a high-DPI screen gets a sharp one. They are made lazily (a
pixmap needs the QGuiApplication) and cached: the table asks for one per visible
status cell on every repaint.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from jobdesk.gui.models.states import State

STATE_COLOURS: Final = {
    State.QUEUED: "#8a8f98",
    State.RUNNING: "#2f80ed",
    State.STALE: "#e0a800",
    State.RETRYING: "#e8710a",
    State.COMPLETED: "#27ae60",
    State.FAILED: "#d63c3c",
    State.CANCELLED: "#9b59b6",
}
_SIZES = (16, 32)
_icons: dict[State, QIcon] = {}


def state_icon(state: State) -> QIcon:
    icon = _icons.get(state)
    if icon is None:
        icon = _icons[state] = _circle(QColor(STATE_COLOURS[state]), hollow=state is State.STALE)
    return icon


def _circle(colour: QColor, *, hollow: bool) -> QIcon:
    icon = QIcon()
    for size in _SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if hollow:
            painter.setPen(QPen(colour, size / 6))
            painter.setBrush(Qt.BrushStyle.NoBrush)
        else:
            painter.setPen(QPen(colour.darker(140), size / 16))
            painter.setBrush(colour)
        margin = size * 0.2
        painter.drawEllipse(QRectF(margin, margin, size - 2 * margin, size - 2 * margin))
        painter.end()
        icon.addPixmap(pixmap)
    return icon
