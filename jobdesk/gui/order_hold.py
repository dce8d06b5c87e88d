"""Holding the table's row order still while the operator aims at a row.

A row that moves between aim and click makes the click hit another job (a force-fail
once did). While the pointer is over the table (its rows or its header) or a context
menu is open, the model's order is held (``JobTableModel.hold``: rows update in place,
moves and new rows' places wait) and the status bar says "order paused"; when the
pointer leaves and no menu is open, the order catches up in one step.

A pointer that rests (no movement or click over the table for ``rest_after`` seconds)
is not aiming: an operator who leaves the mouse on the window would otherwise freeze
the order for good. The order catches up then, and holds again at the next movement.
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
        *,
        rest_after: float = 5.0,
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._announce = announce
        self._inside: set[QWidget] = set()
        self._menus = 0
        self._held = False
        self._resting = False
        self._rest = QTimer(self)
        self._rest.setSingleShot(True)
        self._rest.setInterval(round(rest_after * 1000))
        self._rest.timeout.connect(self._rested)
        self._settle = QTimer(self)
        """Leaving one area for another (header to rows) sends Leave before Enter: the
        release waits a turn of the event loop, so the order does not jump in between."""
        self._settle.setSingleShot(True)
        self._settle.setInterval(0)
        self._settle.timeout.connect(self._update)
        for area in areas:
            area.setMouseTracking(True)  # movement without a button held: aiming
            area.installEventFilter(self)

    def set_rest_after(self, seconds: float) -> None:
        """How long a pointer that does not move counts as still aiming."""
        self._rest.setInterval(round(seconds * 1000))

    def watch_menu(self, menu: QMenu) -> None:
        """Hold while ``menu`` is open (a context menu over the table)."""
        menu.aboutToShow.connect(self._menu_opened)
        menu.aboutToHide.connect(self._menu_closed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        kind = event.type()
        if isinstance(watched, QWidget):
            if kind == QEvent.Type.Enter:
                self._inside.add(watched)
                self._aiming()
            elif kind in (QEvent.Type.MouseMove, QEvent.Type.MouseButtonPress):
                self._aiming()
            elif kind == QEvent.Type.Leave:
                self._inside.discard(watched)
                self._settle.start()
        return False

    def _aiming(self) -> None:
        self._resting = False
        self._rest.start()
        self._update()

    def _rested(self) -> None:
        self._resting = True
        self._update()

    def _menu_opened(self) -> None:
        self._menus += 1
        self._update()

    def _menu_closed(self) -> None:
        self._menus = max(0, self._menus - 1)
        self._update()

    def _update(self) -> None:
        held = (bool(self._inside) and not self._resting) or self._menus > 0
        if held == self._held:
            return
        self._held = held
        if held:
            self._model.hold()
        else:
            self._model.release()
        self._announce(held)
