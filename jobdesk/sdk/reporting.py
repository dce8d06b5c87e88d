"""A reporter's core: the reporting calls, their queue, and how a job is flushed and
ended, as steps (see ``steps``) that the thread and asyncio reporters take.

The reporting calls never wait for the network in either shell, so they are plain
methods in both: ``job.progress(50)`` inside a coroutine needs no ``await`` (and so
cannot silently do nothing when one is forgotten). They run under ``guard`` (the
sender's lock in the thread shell, nothing in the asyncio one).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Protocol

from jobdesk.protocol import ErrorCode, Status
from jobdesk.protocol.rest import JobAck
from jobdesk.sdk.calls import (
    Body,
    Headers,
    PipelineSpec,
    body_call,
    check_name,
    clip,
    complete_call,
    detail_call,
    fail_call,
    message_body,
    pipeline_body,
    to_fraction,
)
from jobdesk.sdk.claiming import ATTEMPT_HEADER
from jobdesk.sdk.coalesce import OVERALL, Outbox
from jobdesk.sdk.errors import JobStopped, SdkError
from jobdesk.sdk.steps import Steps, Wait
from jobdesk.sdk.wire import Call

if TYPE_CHECKING:
    from jobdesk.sdk.delivery import Delivery

log = logging.getLogger("jobdesk.sdk")

DEFAULT_INTERVAL: Final = 0.2
"""Least seconds between two sends of one job's progress: the first report after a quiet
spell is sent at once, later ones fold into the next send (see ``coalesce``)."""


@dataclass(slots=True)
class Pending:
    """A report taken from the outbox and not acknowledged yet. In a batch it is its body;
    sent on its own it is ``call``, made on first use (a fresh Idempotency-Key costs a
    random number, too dear for thousands of reports a second) and kept for retries."""

    body: Body
    call: Call[JobAck] | None = None


class Sending(Protocol):
    """What a reporter needs of its sender, whichever shell's."""

    @property
    def delivery(self) -> Delivery: ...

    @property
    def guard(self) -> AbstractContextManager[Any]:
        """Held while a reporter's state changes: a lock, or nothing on one event loop."""
        ...

    def wake(self, reporter: Any) -> None: ...


class ReporterBase:
    """Seed 001's JobLogger and PipelineLogger in one: progress in percent (0-100)."""

    def __init__(
        self,
        shell: Any,
        job_id: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        on_close: Callable[[Any], None] | None = None,
        headers: Headers = None,
        sender: Sending | None = None,
        limit: Any = None,
    ) -> None:
        """``sender`` is the client's shared one; None: this reporter's own, sending a
        request a report within ``limit`` (the client's cap on requests in flight)."""
        if not job_id:
            raise ValueError("job_id must not be empty")
        self._job_id = job_id
        self._shell = shell
        self._on_close = on_close
        self._own: Any = None
        """This reporter's own sender, stopped when it closes."""
        if sender is None:
            sender = self._own = self._own_sender(shell, job_id, limit)
        self._sender: Sending = sender
        """Delivers the queue: the client's shared one, or this reporter's own."""
        self._guard = self._sender.guard
        self._headers = headers
        """Sent with every write: a claimed job's attempt (see ``claiming``)."""
        attempt = (headers or {}).get(ATTEMPT_HEADER)
        self._attempt = None if attempt is None else int(attempt)
        """The same attempt, for the reports sent in a batch."""
        self._finished: Status | None = None
        self._closed = False
        self._outbox = Outbox(interval)
        self._sending: list[Pending] = []
        """Taken from the outbox, not yet acknowledged; the head is sent next."""
        self._flushing = 0
        self._flush_calls = 0
        self._failures = 0
        self._last_failure: SdkError | None = None
        self._fatal: SdkError | None = None

    @property
    def job_id(self) -> str:
        return self._job_id

    @property
    def delivery_error(self) -> SdkError | None:
        """The refusal that ended delivery (e.g. CONFLICT: an operator force-failed the job).

        Later progress and log calls are then dropped rather than sent; ``flush``,
        ``complete``, ``fail`` and ``close`` raise it. A ``JobStopped`` (the job was
        cancelled, or the attempt's lease lost) is raised by the progress and log calls
        too, so a worker's loop stops at its next report instead of working on for nobody.
        """
        return self._fatal

    @property
    def finished(self) -> Status | None:
        """``Status.COMPLETED`` or ``Status.FAILED`` once this reporter ended the job."""
        return self._finished

    def progress(self, percent: float, message: str | None = None) -> None:
        """Set the job's progress (0-100) and optionally its status line; coalesced."""
        self._push_progress(OVERALL, to_fraction(percent), _clip(message))

    def sub_operation(self, name: str, percent: float, message: str | None = None) -> None:
        """Set one sub-operation's progress (0-100); the job's is then the weighted mean.

        A name the pipeline did not declare is added with weight 1, as the server does.
        """
        self._push_progress(check_name(name), to_fraction(percent), _clip(message))

    def pipeline(self, steps: PipelineSpec) -> None:
        """Declare the weighted sub-operations: ``{"data-loading": 1, "questions": 3}``."""
        self._push_event(pipeline_body(steps))

    def info(self, text: str) -> None:
        self._push_event(message_body("info", text))

    def warning(self, text: str) -> None:
        self._push_event(message_body("warning", text))

    def error(self, text: str) -> None:
        """Log an error entry; the job goes on (use ``fail`` to end it)."""
        self._push_event(message_body("error", text))

    @property
    def closed(self) -> bool:
        """True once the reporter was closed or ended the job: it sends nothing more."""
        return self._closed

    def _check_open(self, action: str) -> None:
        if isinstance(self._fatal, JobStopped):
            raise self._fatal
        if self._finished is not None:
            raise SdkError(
                ErrorCode.CONFLICT.value,
                f"job {self._job_id} is already {self._finished.value}; cannot {action}",
                field="status",
            )
        if self._closed:
            raise RuntimeError(f"the reporter of job {self._job_id} is closed; cannot {action}")

    def _take_due(self, now: float) -> bool:
        """Move the outbox to ``_sending`` if it is due; False when there is nothing to send."""
        wait = self._outbox.due_in(now)
        if wait is None or (wait > 0 and not self._flushing):
            return False
        self._sending = [Pending(body) for body in self._outbox.take(now)]
        return True

    def _call(self, pending: Pending) -> Call[JobAck]:
        """``pending`` as a request of its own, with one key for all its retries."""
        if pending.call is None:
            pending.call = body_call(self._job_id, pending.body, self._headers)
        return pending.call

    def _note_failure(self, exc: SdkError, *, quiet: bool = False) -> None:
        """The retry policy gave up on a background send; what is pending stays queued.
        ``quiet``: the sender logs it once for every job of a batch."""
        self._failures += 1
        self._last_failure = exc
        if not quiet:
            log.warning("jobdesk: job %s: updates not delivered yet: %s", self._job_id, exc)

    def _give_up(self, exc: SdkError) -> None:
        """The server refused an update: nothing more will be sent for this job."""
        self._fatal = exc
        self._outbox.clear()
        self._sending.clear()
        log.warning("jobdesk: job %s: updates stopped: %s", self._job_id, exc)

    def _closed_with_pending(self) -> BaseException:
        """A closed reporter's queue is never sent: what closing it already reported."""
        if self._last_failure is not None:
            return self._last_failure
        return RuntimeError(f"the reporter of job {self._job_id} is closed; updates were not sent")

    @staticmethod
    def _maybe_committed(exc: SdkError) -> bool:
        """A CONFLICT after a retry may mean our own earlier attempt went through."""
        return exc.code == ErrorCode.CONFLICT and exc.attempts > 1

    def _own_sender(self, shell: Any, job_id: str, limit: Any) -> Any:
        """A sender of this reporter's own, in the shell's kind."""
        raise NotImplementedError

    def _push_progress(self, key: str, fraction: float, message: str | None) -> None:
        with self._guard:
            self._check_open("report progress")
            if self._fatal is None:
                self._outbox.progress(key, fraction, message, time.monotonic())
                self._sender.wake(self)

    def _push_event(self, body: Body) -> None:
        with self._guard:
            self._check_open("log")
            if self._fatal is None:
                self._outbox.event(body, time.monotonic())
                self._sender.wake(self)

    # --- flushing and ending, as steps (the shell holds ``guard`` while they run) ------

    def _flush_steps(self) -> Steps[None]:
        """Until everything reported so far is delivered. Raises ``delivery_error``, or
        ``SdkError(UNAVAILABLE)`` when the retry policy gave up; what is pending then stays
        queued and is retried in the background."""
        delivery = self._sender.delivery
        seen = self._failures
        self._flushing += 1
        self._flush_calls += 1
        delivery.flush_calls += 1
        delivery.changed()
        try:
            while self._fatal is None and (self._outbox or self._sending):
                if self._failures > seen and self._last_failure is not None:
                    raise self._last_failure
                if self._closed:  # by another thread, while this one flushed
                    raise self._closed_with_pending()
                self._sender.wake(self)
                yield Wait()
        finally:
            self._flushing -= 1
        if self._fatal is not None:
            raise self._fatal

    def _completion(self, result: Any, message: str | None) -> Call[Any]:
        """The request that completes the job (a claimed job's may claim the next too)."""
        return complete_call(self._job_id, result, message, self._headers)

    def _failure(self, error: str | BaseException) -> Call[JobAck]:
        return fail_call(self._job_id, error, self._headers)

    def _ending(self, call: Call[Any], status: Status, action: str) -> Steps[None]:
        """Deliver what is pending, then end the job with ``call``."""
        self._check_open(action)
        yield from self._flush_steps()
        try:
            answer = yield call
        except SdkError as exc:
            if not self._maybe_committed(exc):
                raise
            try:  # our own earlier attempt may have gone through
                job = yield detail_call(self._job_id)
            except SdkError:
                raise exc from None
            if job.status is not status:
                raise exc from None
            answer = None
        self._ended(answer)
        self._finished = status

    def _ended(self, answer: Any) -> None:
        """The server's answer to the ending call (None: it was lost, though it went through)."""

    def _exiting(self, exc: BaseException | None) -> Steps[bool]:
        """Leaving ``with``: complete the job, or fail it with the exception's text. True
        would swallow the exception (a claimed job's ``JobStopped``)."""
        if self._finished is not None or self._closed:
            return False
        if exc is None:
            yield from self._ending(self._completion(None, None), Status.COMPLETED, "complete")
            return False
        try:
            yield from self._ending(self._failure(exc), Status.FAILED, "fail")
        except SdkError as failure:
            exc.add_note(f"jobdesk: job {self._job_id} could not be marked failed: {failure}")
            log.warning("jobdesk: job %s could not be marked failed: %s", self._job_id, failure)
        return False

    def _mark_closed(self) -> bool:
        """Stop sending for good (guard held); whether it was closed already."""
        already, self._closed = self._closed, True
        self._sender.delivery.changed()
        if not already:
            self._closing()
        return already

    def _closing(self) -> None:
        """Hook: the reporter is closing (a claimed job lets go of its lease)."""


def _clip(message: str | None) -> str | None:
    return None if message is None else clip(message)
