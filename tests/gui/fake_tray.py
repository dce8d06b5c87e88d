"""A QSystemTrayIcon on a desktop that has a tray: the offscreen platform has none.

Only the calls that reach the platform are replaced (availability, visibility, the
balloon); signals, icon, tooltip and menu stay Qt's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtWidgets import QSystemTrayIcon


@dataclass(frozen=True)
class Balloon:
    title: str
    body: str
    icon: QSystemTrayIcon.MessageIcon
    msecs: int


class FakeTrayIcon(QSystemTrayIcon):
    def __init__(self, *, visible: bool = False) -> None:
        super().__init__()
        self.visible = visible
        self.balloons: list[Balloon] = []

    @staticmethod
    def isSystemTrayAvailable() -> bool:
        return True

    def setVisible(self, visible: bool) -> None:
        self.visible = visible

    def isVisible(self) -> bool:
        return self.visible

    def showMessage(  # type: ignore[override]
        self, title: str, msg: str, icon: QSystemTrayIcon.MessageIcon, msecs: int = 10000
    ) -> None:
        self.balloons.append(Balloon(title, msg, icon, msecs))
