"""JobReporter: the thread shell of a reporter (see ``reporting`` for its core).

``progress`` and the log calls only queue (see ``coalesce``) and return; a daemon thread
(the client's, shared by all its reporters: see ``sender``) sends the queue in order,
progress at most every ``interval`` seconds and log entries at once. ``flush``,
``complete``, ``fail`` and ``close`` wait for delivery in the caller's thread. A
transient failure keeps the queue and retries in the background; a refusal (e.g.
CONFLICT after an operator force-failed the job) ends delivery for good and is kept as
``delivery_error``.
"""

from __future__ import annotations

import threading
from typing import Any

from jobdesk.protocol import Status
from jobdesk.sdk.reporting import ReporterBase
from jobdesk.sdk.sender import JOIN_TIMEOUT, Sender
from jobdesk.sdk.steps import Steps
from jobdesk.sdk.threads import ThreadShell
from jobdesk.sdk.wire import Call

__all__ = ["JOIN_TIMEOUT", "JobReporter"]


class JobReporter(ReporterBase):
    """Report on one job from synchronous code; safe to call from several threads.

    As a context manager it ends the job: completed when the block finishes normally
    without ``complete``/``fail``, failed with ``"<ExceptionType>: <text>"`` when the
    block raises (the exception propagates).
    """

    _shell: ThreadShell
    _sender: Sender
    _own: Sender | None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._stop = threading.Event()
        """Set when it closes: cuts its retries short."""

    def _own_sender(
        self, shell: ThreadShell, job_id: str, limit: threading.BoundedSemaphore | None
    ) -> Sender:
        return Sender(shell, batch=False, name=f"jobdesk-reporter-{job_id}", limit=limit)

    def _run(self, steps: Steps[Any]) -> Any:
        return self._shell.run(steps, pause=self._pause, cond=self._sender.cond)

    def flush(self) -> None:
        """Wait until everything reported so far is delivered.

        Raises ``delivery_error``, or ``SdkError(UNAVAILABLE)`` when the retry policy gave
        up; what is pending then stays queued and is retried in the background.
        """
        self._run(self._flush_steps())

    def complete(self, result: Any = None, message: str | None = None) -> None:
        """Deliver what is pending, then end the job as completed (progress 100)."""
        self._end(self._completion(result, message), Status.COMPLETED, "complete")

    def fail(self, error: str | BaseException) -> None:
        """Deliver what is pending, then end the job as failed; an exception reads as
        ``"ValueError: bad row"``."""
        self._end(self._failure(error), Status.FAILED, "fail")

    def _end(self, call: Call[Any], status: Status, action: str) -> None:
        self._run(self._ending(call, status, action))
        self._shutdown()

    def close(self) -> None:
        """Deliver what is pending and stop the sender; the job itself is left as it is."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        with self._sender.cond:
            already = self._mark_closed()
            self._stop.set()
        if self._own is not None:
            self._own.stop()
        if not already and self._on_close is not None:
            self._on_close(self)

    def __enter__(self) -> JobReporter:
        return self

    def __exit__(self, *exc_info: Any) -> bool:
        try:
            return bool(self._run(self._exiting(exc_info[1])))
        finally:
            self._shutdown()

    def _pause(self, seconds: float) -> bool:
        return not self._stop.wait(seconds)
