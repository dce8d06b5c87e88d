"""JobReporter: a worker's handle on one job, sending from a background thread.

``progress`` and the log calls only queue (see ``coalesce``) and return; a daemon thread
(the client's, shared by all its reporters: see ``sender``) sends the queue in order,
progress at most every ``interval`` seconds and log entries at once. ``flush``,
``complete``, ``fail`` and ``close`` wait for delivery in the caller's thread. A
transient failure keeps the queue and retries in the background; a refusal (e.g.
CONFLICT after an operator force-failed the job) ends delivery for good and is kept as
``delivery_error``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from jobdesk.protocol import Status
from jobdesk.protocol.rest import JobAck
from jobdesk.sdk.calls import Body, Headers, complete_call, detail_call, fail_call
from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.reporting import DEFAULT_INTERVAL, ReporterBase
from jobdesk.sdk.sender import JOIN_TIMEOUT, Sender
from jobdesk.sdk.transport import SyncTransport
from jobdesk.sdk.wire import Call

log = logging.getLogger("jobdesk.sdk")
__all__ = ["JOIN_TIMEOUT", "JobReporter"]


class JobReporter(ReporterBase):
    """Report on one job from synchronous code; safe to call from several threads.

    As a context manager it ends the job: completed when the block finishes normally
    without ``complete``/``fail``, failed with ``"<ExceptionType>: <text>"`` when the
    block raises (the exception propagates).
    """

    def __init__(
        self,
        transport: SyncTransport,
        job_id: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        on_close: Callable[[JobReporter], None] | None = None,
        headers: Headers = None,
        sender: Sender | None = None,
        limit: threading.BoundedSemaphore | None = None,
    ) -> None:
        super().__init__(job_id, interval, headers)
        self._transport = transport
        self._on_close = on_close
        self._own_sender = sender is None
        self._sender = sender or Sender(
            transport, batch=False, name=f"jobdesk-reporter-{job_id}", limit=limit
        )
        """Delivers the queue: the client's shared one, or this reporter's own."""
        self._cond = self._sender.cond
        self._stop = threading.Event()

    # --- the caller's side -------------------------------------------------------------

    def _push_progress(self, key: str, fraction: float, message: str | None) -> None:
        with self._cond:
            self._check_open("report progress")
            if self._fatal is None:
                self._outbox.progress(key, fraction, message, time.monotonic())
                self._wake()

    def _push_event(self, body: Body) -> None:
        with self._cond:
            self._check_open("log")
            if self._fatal is None:
                self._outbox.event(body, time.monotonic())
                self._wake()

    def _wake(self) -> None:
        self._sender.wake(self)

    def flush(self) -> None:
        """Wait until everything reported so far is delivered.

        Raises ``delivery_error``, or ``SdkError(UNAVAILABLE)`` when the retry policy gave
        up; what is pending then stays queued and is retried in the background.
        """
        with self._cond:
            seen = self._failures
            self._flushing += 1
            self._flush_calls += 1
            self._sender.flush_calls += 1
            self._cond.notify_all()
            try:
                while self._fatal is None and (self._outbox or self._sending):
                    if self._failures > seen and self._last_failure is not None:
                        raise self._last_failure
                    if self._stop.is_set():
                        raise self._closed_with_pending()
                    self._wake()
                    self._cond.wait()
            finally:
                self._flushing -= 1
            if self._fatal is not None:
                raise self._fatal

    def complete(self, result: Any = None, message: str | None = None) -> None:
        """Deliver what is pending, then end the job as completed (progress 100)."""
        self._finish(
            complete_call(self.job_id, result, message, self._headers), Status.COMPLETED, "complete"
        )

    def fail(self, error: str | BaseException) -> None:
        """Deliver what is pending, then end the job as failed; an exception reads as
        ``"ValueError: bad row"``."""
        self._finish(fail_call(self.job_id, error, self._headers), Status.FAILED, "fail")

    def _finish(self, call: Call[JobAck], status: Status, action: str) -> None:
        with self._cond:
            self._check_open(action)
        self.flush()
        try:
            self._transport.send(call)
        except SdkError as exc:
            if not (self._maybe_committed(exc) and self._ended_as(status)):
                raise
        self._finished = status
        self._shutdown()

    def _ended_as(self, status: Status) -> bool:
        try:
            return self._transport.send(detail_call(self.job_id)).status is status
        except SdkError:
            return False

    def close(self) -> None:
        """Deliver what is pending and stop the sender; the job itself is left as it is."""
        if self._closed:
            return
        try:
            self.flush()
        finally:
            self._shutdown()

    def _shutdown(self) -> None:
        with self._cond:
            already, self._closed = self._closed, True
            self._stop.set()
            self._cond.notify_all()
        if self._own_sender:
            self._sender.stop()
        if not already and self._on_close is not None:
            self._on_close(self)

    def __enter__(self) -> JobReporter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            if self._finished is not None or self._closed:
                return None
            if exc is None:
                self.complete()
                return None
            try:
                self.fail(exc)
            except SdkError as failure:
                exc.add_note(f"jobdesk: job {self.job_id} could not be marked failed: {failure}")
                log.warning("jobdesk: job %s could not be marked failed: %s", self.job_id, failure)
        finally:
            self._shutdown()
        return None  # the exception, if any, propagates

    def _pause(self, seconds: float) -> bool:
        return not self._stop.wait(seconds)
