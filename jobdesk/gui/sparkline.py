"""A job's progress over time as one small line, under the detail panel's progress bar.

Drawn with QPainter from the points ``core.progress_history`` keeps (bounded there);
the widget holds only the points it was last given.
"""

from __future__ import annotations

from PySide6.QtCore import QPointF, QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from jobdesk.core.progress_history import Point


class Sparkline(QWidget):
    """Progress (0-100) against time; hidden while it has fewer than two points."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._points: list[Point] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setToolTip("Progress over time, as this monitor saw it")
        self.hide()

    def sizeHint(self) -> QSize:
        return QSize(200, 34)

    def set_points(self, points: list[Point]) -> None:
        if points == self._points:
            return
        self._points = points
        self.setVisible(len(points) >= 2)
        self.update()

    @property
    def points(self) -> list[Point]:
        return self._points

    def paintEvent(self, event: QPaintEvent) -> None:
        if len(self._points) < 2:
            return
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        area = self.rect().adjusted(2, 3, -2, -3)
        palette = self.palette()
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Mid), 1, Qt.PenStyle.DotLine))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        start, end = self._points[0][0], self._points[-1][0]
        span = max(end - start, 1e-6)
        line = QPolygonF(
            [
                QPointF(
                    area.left() + (t - start) / span * area.width(),
                    area.bottom() - p / 100.0 * area.height(),
                )
                for t, p in self._points
            ]
        )
        painter.setPen(QPen(palette.color(QPalette.ColorRole.Highlight), 1.6))
        painter.drawPolyline(line)
        painter.end()
