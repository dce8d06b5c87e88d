"""The window's two views: jobs (Ctrl+1) and workers and queues (Ctrl+2), in a View menu.

The jobs view (table and detail panel) stays what the window built; this puts it and the
workers view on a stack and adds them to the View menu, so the window itself changes by one line.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStackedWidget

from jobdesk.gui.workers_view import WorkersView


class ViewSwitch:
    def __init__(self, window: QMainWindow, menu: QMenu) -> None:
        """``menu``: the window's View menu, which the two views open the way in."""
        self.pages = QStackedWidget()
        jobs = window.takeCentralWidget()
        assert jobs is not None, "the window builds its jobs view first"
        self.jobs = jobs
        self.workers = WorkersView()
        self.pages.addWidget(self.jobs)
        self.pages.addWidget(self.workers)
        window.setCentralWidget(self.pages)
        group = QActionGroup(window)
        self.jobs_action = QAction("Jobs", window, checkable=True, checked=True)
        self.jobs_action.setShortcut(QKeySequence("Ctrl+1"))
        self.jobs_action.triggered.connect(self.show_jobs)
        self.workers_action = QAction("Workers and queues", window, checkable=True)
        self.workers_action.setShortcut(QKeySequence("Ctrl+2"))
        self.workers_action.triggered.connect(self.show_workers)
        menu.addSeparator()
        for action in (self.jobs_action, self.workers_action):
            group.addAction(action)
            menu.addAction(action)
            window.addAction(action)  # the shortcut works with the menu bar hidden too

    def show_jobs(self) -> None:
        self.pages.setCurrentWidget(self.jobs)
        self.jobs_action.setChecked(True)

    def show_workers(self) -> None:
        self.pages.setCurrentWidget(self.workers)
        self.workers_action.setChecked(True)
