"""Holding the table's row order still while the operator aims at a row.

A row that moves between aim and click makes the click hit another job (a force-fail
once did). While the pointer is over the table (its rows or its header) or a context
menu is open, the model's order is held (``JobTableModel.hold``: rows update in place,
moves and new rows' places wait) and the status bar says "order paused"; when the
pointer leaves and no menu is open, the order catches up in one step.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from PySide6.QtCore import QEvent, QObject, QTimer
from PySide6.QtWidgets import QMenu, QWidget


class Holdable(Protocol):
    def hold(self) -> None: ...
    def release(self) -> None: ...


class OrderHold(QObject):
    """Holds ``model`` while the pointer is over ``areas`` or a watched menu is open;
    ``announce(held)`` tells the status bar."""

    def __init__(
        self,
        model: Holdable,
        areas: list[QWidget],
        announce: Callable[[bool], None],
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._announce = announce
        self._inside: set[QWidget] = set()
        self._menus = 0
        self._held = False
        self._settle = QTimer(self)
        """Leaving one area for another (header to rows) sends Leave before Enter: the
        release waits a turn of the event loop, so the order does not jump in between."""
        self._settle.setSingleShot(True)
        self._settle.setInterval(0)
        self._settle.timeout.connect(self._update)
        for area in areas:
            area.installEventFilter(self)

    def watch_menu(self, menu: QMenu) -> None:
        """Hold while ``menu`` is open (a context menu over the table)."""
        menu.aboutToShow.connect(self._menu_opened)
        menu.aboutToHide.connect(self._menu_closed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if isinstance(watched, QWidget):
            if kind == QEvent.Type.Enter:
                self._inside.add(watched)
                self._update()
            elif kind == QEvent.Type.Leave:
                self._inside.discard(watched)
                self._settle.start()
        return False

    def _menu_opened(self) -> None:
        self._menus += 1
        self._update()

    def _menu_closed(self) -> None:
        self._menus = max(0, self._menus - 1)
        self._update()

    def _update(self) -> None:
        held = bool(self._inside) or self._menus > 0
        if held == self._held:
            return
        self._held = held
        if held:
            self._model.hold()
        else:
            self._model.release()
        self._announce(held)
