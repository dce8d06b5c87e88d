"""The workers view's two charts of the last hour, drawn with QPainter.

Two small charts do not justify a plotting library (pyqtgraph would be the only heavy
dependency of the monitor, see docs/gui.md): each is a few dozen lines over the
server's sixty one-minute buckets (``QueueOverview.minutes``, oldest first).
"""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent, QPalette, QPen, QPolygonF
from PySide6.QtWidgets import QSizePolicy, QWidget

from jobdesk.protocol.overview import MinuteBucket

COMPLETED: Final = QColor("#3a9a4a")
FAILED: Final = QColor("#d03c3c")
LINE_COLOURS: Final = ("#2f7fd0", "#c98a00", "#8e44ad", "#16a085", "#d35400", "#7f8c8d")
MAX_LINES: Final = len(LINE_COLOURS)
"""Queue depth lines drawn: the types with the most waiting in the hour."""
_MARGIN_LEFT, _MARGIN_TOP, _MARGIN_BOTTOM = 34.0, 22.0, 18.0


class _HourChart(QWidget):
    """A titled plot area with a 0..max value axis and a last-hour time axis."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.minutes: list[MinuteBucket] = []
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(260, 150)

    def sizeHint(self) -> QSize:
        return QSize(420, 190)

    def set_minutes(self, minutes: list[MinuteBucket]) -> None:
        self.minutes = minutes
        self.update()

    def peak(self) -> int:
        raise NotImplementedError

    def draw(self, painter: QPainter, area: QRectF, peak: int) -> None:
        raise NotImplementedError

    def legend(self) -> list[tuple[str, QColor]]:
        raise NotImplementedError

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        painter.fillRect(self.rect(), palette.color(QPalette.ColorRole.Base))
        area = QRectF(self.rect()).adjusted(_MARGIN_LEFT, _MARGIN_TOP, -8, -_MARGIN_BOTTOM)
        painter.setPen(text)
        painter.drawText(QPointF(6, 15), self.title)
        x = area.right()
        for label, colour in reversed(self.legend()):
            width = painter.fontMetrics().horizontalAdvance(label)
            x -= width
            painter.drawText(QPointF(x, 15), label)
            painter.fillRect(QRectF(x - 12, 7, 8, 8), colour)
            x -= 22
        peak = max(1, self.peak())
        grid = palette.color(QPalette.ColorRole.Mid)
        painter.setPen(QPen(grid, 1, Qt.PenStyle.DotLine))
        painter.drawLine(area.topLeft(), area.topRight())
        painter.setPen(QPen(grid, 1))
        painter.drawLine(area.bottomLeft(), area.bottomRight())
        painter.setPen(text)
        align = Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
        painter.drawText(QRectF(0, area.top() - 8, _MARGIN_LEFT - 4, 16), align, str(peak))
        painter.drawText(QRectF(0, area.bottom() - 8, _MARGIN_LEFT - 4, 16), align, "0")
        below = QRectF(area.left(), area.bottom() + 2, area.width(), _MARGIN_BOTTOM - 2)
        painter.drawText(below, Qt.AlignmentFlag.AlignLeft, "60 min ago")
        painter.drawText(below, Qt.AlignmentFlag.AlignRight, "now")
        if self.minutes:
            self.draw(painter, area, peak)
        painter.end()


class OutcomesChart(_HourChart):
    """Completions and failures per minute, stacked bars."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Completed and failed per minute", parent)

    def peak(self) -> int:
        return max((m.completed + m.failed for m in self.minutes), default=0)

    def legend(self) -> list[tuple[str, QColor]]:
        return [("completed", COMPLETED), ("failed", FAILED)]

    def draw(self, painter: QPainter, area: QRectF, peak: int) -> None:
        slot = area.width() / len(self.minutes)
        width = max(1.0, slot * 0.75)
        for i, minute in enumerate(self.minutes):
            left = area.left() + i * slot + (slot - width) / 2
            done = minute.completed / peak * area.height()
            failed = minute.failed / peak * area.height()
            painter.fillRect(QRectF(left, area.bottom() - done, width, done), COMPLETED)
            painter.fillRect(QRectF(left, area.bottom() - done - failed, width, failed), FAILED)


class DepthChart(_HourChart):
    """Jobs waiting per type, one line each, for the types with the most waiting."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__("Queue depth per type", parent)

    def types(self) -> list[str]:
        most: dict[str, int] = {}
        for minute in self.minutes:
            for job_type, depth in minute.queued.items():
                most[job_type] = max(most.get(job_type, 0), depth)
        ranked = sorted(most, key=lambda t: (-most[t], t))
        return ranked[:MAX_LINES]

    def peak(self) -> int:
        return max((max(m.queued.values(), default=0) for m in self.minutes), default=0)

    def legend(self) -> list[tuple[str, QColor]]:
        return [(t, QColor(c)) for t, c in zip(self.types(), LINE_COLOURS, strict=False)]

    def draw(self, painter: QPainter, area: QRectF, peak: int) -> None:
        step = area.width() / max(1, len(self.minutes) - 1)
        for job_type, colour in self.legend():
            line = QPolygonF(
                [
                    QPointF(
                        area.left() + i * step,
                        area.bottom() - m.queued.get(job_type, 0) / peak * area.height(),
                    )
                    for i, m in enumerate(self.minutes)
                ]
            )
            painter.setPen(QPen(colour, 2))
            painter.drawPolyline(line)
