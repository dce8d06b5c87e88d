"""The thread that delivers what a client's reporters queue: ``delivery`` in a thread.

One per client, shared by its reporters (a batch request a round), or one per reporter
(``JobdeskClient(batch=False)``: a request a report).
"""

from __future__ import annotations

import threading
from typing import Any, Final

from jobdesk.sdk.delivery import SenderBase
from jobdesk.sdk.threads import ThreadShell

JOIN_TIMEOUT: Final = 30.0
"""Longest ``stop`` waits for the thread to finish a request it is in."""


class Sender(SenderBase):
    def __init__(self, shell: ThreadShell, **options: Any) -> None:
        self.cond = self.guard = threading.Condition()
        """Guards the reporters' queues too: they share it with their sender."""
        super().__init__(shell, **options)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def _changed(self) -> None:
        self.cond.notify_all()  # the lock is held: the core runs under it

    def wake(self, reporter: object) -> None:
        """``reporter`` has something to send, or a flush is waiting (lock held)."""
        if self.delivery.wake(reporter) and self._thread is None:  # type: ignore[arg-type]
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop sending (what is queued stays unsent); waits for a request in flight."""
        with self.cond:
            self._stop.set()
            self.delivery.stop()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT)

    def pause(self, seconds: float) -> bool:
        return not self._stop.wait(seconds)

    def _run(self) -> None:
        steps = self.delivery.run()
        self.shell.run(steps, pause=self.pause, cond=self.cond, limit=self._limit)
