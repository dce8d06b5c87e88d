"""JobReporter: a worker's handle on one job, sending from a background thread.

``progress`` and the log calls only queue (see ``coalesce``) and return; a daemon thread
sends the queue in order, progress at most every ``interval`` seconds and log entries at
once. ``flush``, ``complete``, ``fail`` and ``close`` wait for delivery in the caller's
thread. A transient failure keeps the queue and retries in the background; a refusal
(e.g. CONFLICT after an operator force-failed the job) ends delivery for good and is
kept as ``delivery_error``.
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
from jobdesk.sdk.calls import Body, Headers, complete_call, fail_call, find_job, snapshot_call
from jobdesk.sdk.errors import UNAVAILABLE, SdkError
from jobdesk.sdk.reporting import DEFAULT_INTERVAL, ReporterBase
from jobdesk.sdk.retry import rest_between_rounds
from jobdesk.sdk.transport import SyncTransport
from jobdesk.sdk.wire import Call

log = logging.getLogger("jobdesk.sdk")
JOIN_TIMEOUT = 30.0
"""Longest ``close`` waits for the sender thread to finish a request it is in."""


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
    ) -> None:
        super().__init__(job_id, interval, headers)
        self._transport = transport
        self._on_close = on_close
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

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
        if self._thread is None:
            name = f"jobdesk-reporter-{self.job_id}"
            self._thread = threading.Thread(target=self._run, name=name, daemon=True)
            self._thread.start()
        self._cond.notify_all()

    def flush(self) -> None:
        """Wait until everything reported so far is delivered.

        Raises ``delivery_error``, or ``SdkError(UNAVAILABLE)`` when the retry policy gave
        up; what is pending then stays queued and is retried in the background.
        """
        with self._cond:
            seen = self._failures
            self._flushing += 1
            self._flush_calls += 1
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
            return find_job(self._transport.send(snapshot_call()), self.job_id).status is status
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
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT)
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

    # --- the sender thread -------------------------------------------------------------

    def _run(self) -> None:
        try:
            while self._next_round():
                self._deliver()
        except Exception as exc:  # a bug here must not leave flush() waiting forever
            log.exception("jobdesk: reporter thread of job %s crashed", self.job_id)
            with self._cond:
                self._give_up(SdkError("UNKNOWN_ERROR", f"reporter thread crashed: {exc!r}"))
                self._cond.notify_all()

    def _next_round(self) -> bool:
        """Wait until something is due; False when the reporter stops."""
        with self._cond:
            while self._fatal is None and not self._stop.is_set():
                if self._sending or self._take_due(time.monotonic()):
                    return True
                self._cond.wait(self._outbox.due_in(time.monotonic()))
            return False

    def _deliver(self) -> None:
        while True:
            with self._cond:
                if not self._sending or self._stop.is_set():
                    return
                call = self._sending[0]
            try:
                self._transport.send(call, pause=self._pause)
            except SdkError as exc:
                with self._cond:
                    if exc.code == UNAVAILABLE:
                        self._retry_later(exc)
                    else:
                        self._give_up(exc)
                        self._cond.notify_all()
                return
            with self._cond:
                if self._sending and self._sending[0] is call:
                    self._sending.pop(0)
                self._cond.notify_all()

    def _pause(self, seconds: float) -> bool:
        return not self._stop.wait(seconds)

    def _retry_later(self, exc: SdkError) -> None:
        """The retry policy gave up: tell flushers, then rest until the next round is due
        or a new flush asks for one (lock held)."""
        self._note_failure(exc)
        self._cond.notify_all()
        asked = self._flush_calls
        deadline = time.monotonic() + rest_between_rounds(self._transport.policy)
        while not self._stop.is_set() and self._flush_calls == asked:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self._cond.wait(left)
