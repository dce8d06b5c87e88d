"""Status icons: small coloured circles drawn once per status, no image files.

Drawn at two sizes so a high-DPI screen gets a sharp one. They are made lazily (a
pixmap needs the QGuiApplication) and cached: the table asks for one per visible
status cell on every repaint.
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPen, QPixmap

from jobdesk.protocol import Status

STATUS_COLOURS: Final = {
    Status.QUEUED: "#8a8f98",
    Status.RUNNING: "#2f80ed",
    Status.RETRYING: "#f2a007",
    Status.COMPLETED: "#27ae60",
    Status.FAILED: "#d63c3c",
    Status.CANCELLED: "#9b59b6",
}
_SIZES = (16, 32)
_icons: dict[Status, QIcon] = {}


def status_icon(status: Status) -> QIcon:
    icon = _icons.get(status)
    if icon is None:
        icon = _icons[status] = _circle(QColor(STATUS_COLOURS[status]))
    return icon


def _circle(colour: QColor) -> QIcon:
    icon = QIcon()
    for size in _SIZES:
        pixmap = QPixmap(size, size)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(colour.darker(140), size / 16))
        painter.setBrush(colour)
        margin = size * 0.2
        painter.drawEllipse(QRectF(margin, margin, size - 2 * margin, size - 2 * margin))
        painter.end()
        icon.addPixmap(pixmap)
    return icon
