"""The window's views: jobs (Ctrl+1), workers and queues (Ctrl+2) and history (Ctrl+3),
in a View menu.

The jobs view (table and detail panel) stays what the window built; this puts it and the
other views on a stack and adds them to the View menu, so the window itself changes by one line.
The jobs toolbar (the table's search and status filter, the job actions) shows with the
jobs view only: over the History view its search box read as the history's.
"""

from __future__ import annotations

from PySide6.QtGui import QAction, QActionGroup, QKeySequence
from PySide6.QtWidgets import QMainWindow, QMenu, QStackedWidget, QToolBar, QWidget

from jobdesk.core.history import HistoryRows
from jobdesk.gui.history_view import HistoryView
from jobdesk.gui.workers_view import WorkersView


class ViewSwitch:
    def __init__(
        self, window: QMainWindow, menu: QMenu, *, jobs_toolbar: QToolBar | None = None
    ) -> None:
        """``menu``: the window's View menu, which the views open the way in;
        ``jobs_toolbar``: shown with the jobs view only."""
        self._jobs_toolbar = jobs_toolbar
        self.pages = QStackedWidget()
        jobs = window.takeCentralWidget()
        assert jobs is not None, "the window builds its jobs view first"
        self.jobs = jobs
        self.workers = WorkersView()
        self.history = HistoryView(HistoryRows())
        for page in (self.jobs, self.workers, self.history):
            self.pages.addWidget(page)
        window.setCentralWidget(self.pages)
        group = QActionGroup(window)
        self.jobs_action = self._action(window, "Jobs", "Ctrl+1", self.jobs)
        self.jobs_action.setChecked(True)
        self.workers_action = self._action(window, "Workers and queues", "Ctrl+2", self.workers)
        self.history_action = self._action(window, "History", "Ctrl+3", self.history)
        self.history_action.setToolTip("Finished jobs the server keeps, searched page by page")
        menu.addSeparator()
        for action in (self.jobs_action, self.workers_action, self.history_action):
            group.addAction(action)
            menu.addAction(action)
            window.addAction(action)  # the shortcut works with the menu bar hidden too

    def _action(self, window: QMainWindow, text: str, keys: str, page: QWidget) -> QAction:
        action = QAction(text, window, checkable=True)
        action.setShortcut(QKeySequence(keys))
        action.triggered.connect(lambda: self._show(page, action))
        return action

    def _show(self, page: QWidget, action: QAction) -> None:
        self.pages.setCurrentWidget(page)
        action.setChecked(True)
        page.setFocus()  # the keyboard goes with the view (the History view: its table)
        if self._jobs_toolbar is not None:
            self._jobs_toolbar.setVisible(page is self.jobs)

    def show_jobs(self) -> None:
        self._show(self.jobs, self.jobs_action)

    def show_workers(self) -> None:
        self._show(self.workers, self.workers_action)

    def show_history(self) -> None:
        self._show(self.history, self.history_action)
