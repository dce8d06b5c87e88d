"""A New job from the dialog to the selected row: open it, submit, answer, reveal.

Kept out of the controller, which only wires it: this owns the one open dialog, turns
its request into a ``Monitor.submit`` task (each backend submits its own way), keeps
the dialog open with seed 000's code when that fails, and closes it when the job is
created, then selects the job once the table has it (the stream may bring it before or
after the answer).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, Final

from jobdesk.client.actions import SubmitError
from jobdesk.client.errors import EngineStopped
from jobdesk.core.store import JobKey, JobStore
from jobdesk.gui.main_window import MainWindow
from jobdesk.gui.new_job_dialog import NewJobDialog, job_types
from jobdesk.protocol import ErrorCode
from jobdesk.protocol.rest import CreateJobRequest

REVEAL_WITHIN_S: Final = 60.0
"""A submitted job is selected when it reaches the table, unless that takes longer than
this (the server's stream was down): by then the operator has moved on."""

Spawn = Callable[[Coroutine[Any, Any, None]], None]
Submit = Callable[[str, CreateJobRequest], Awaitable[str]]
"""(server, request) -> the new job's id (``Monitor.submit``)."""


class NewJobFlow:
    def __init__(
        self,
        window: MainWindow,
        store: JobStore,
        servers: Callable[[], list[str]],
        submit: Submit,
        spawn: Spawn,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``servers``: those whose backend takes submissions, asked at each use (servers
        come and go); ``spawn``: runs a coroutine as one of the controller's tasks."""
        self._window = window
        self._store = store
        self._servers = servers
        self._submit_to = submit
        self._spawn = spawn
        self._clock = clock
        self.dialog: NewJobDialog | None = None
        """The open dialog (one at a time)."""
        self._reveal: tuple[JobKey, float] | None = None
        """A submitted job to select once the table has it, and until when to try."""

    def open(self, server: str | None = None) -> None:
        """Ctrl+N: the dialog, non-modal, for ``server`` (by default the first); an open
        one is brought to the front instead."""
        if self.dialog is not None:
            self.dialog.raise_()
            self.dialog.activateWindow()
            return
        servers = self._servers()
        if not servers:
            self._tell("No watched server takes jobs from here (File > Servers)")
            return
        dialog = NewJobDialog(
            servers,
            job_types(job for _, job in self._store.items()),
            server=server,
            parent=self._window,
        )
        dialog.submit_requested.connect(
            lambda server, request: self._spawn(self._submit(dialog, server, request))
        )
        dialog.finished.connect(lambda _: self._closed(dialog))
        self.dialog = dialog
        dialog.show()

    def table_updated(self) -> None:
        """The table applied a batch: the job just submitted may be in it."""
        if self._reveal is not None:
            key, until = self._reveal
            if self._clock() > until or self._window.reveal(key):
                self._reveal = None

    def _closed(self, dialog: NewJobDialog) -> None:
        if self.dialog is dialog:
            self.dialog = None
        dialog.deleteLater()

    def _tell(self, message: str) -> None:
        self._window.statusBar().showMessage(message, 10_000)

    async def _submit(self, dialog: NewJobDialog, server: str, request: CreateJobRequest) -> None:
        """The dialog may be closed while this waits: then the status bar alone tells."""
        if server not in self._servers():
            if self.dialog is dialog:
                dialog.show_error(ErrorCode.UNKNOWN_ERROR, f"{server} is no longer watched")
            return
        if self.dialog is dialog:  # not closed before this task began
            dialog.set_busy(True)
        try:
            job_id = await self._submit_to(server, request)
        except EngineStopped as exc:  # stopped, or removed meanwhile
            if self.dialog is dialog:
                dialog.show_error(ErrorCode.UNKNOWN_ERROR, str(exc))
            return
        except SubmitError as exc:
            if self.dialog is dialog:
                dialog.show_error(exc.code, exc.message, exc.field)
            else:
                self._tell(f"Submitting to {server} failed: {exc}")
            return
        self._tell(f"Submitted {request.name or request.job_type} to {server}: {job_id}")
        if self.dialog is dialog:
            dialog.accept()
        self._reveal = ((server, job_id), self._clock() + REVEAL_WITHIN_S)
        self.table_updated()  # it may be in the table already
