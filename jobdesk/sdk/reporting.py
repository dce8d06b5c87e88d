"""What the sync and async reporters share: the reporting calls and their validation.

These calls never wait for the network in either flavour, so they are plain methods in
both: ``job.progress(50)`` inside a coroutine needs no ``await`` (and so cannot silently
do nothing when one is forgotten). The queue and its bookkeeping live here too; the
subclasses decide how they are guarded and sent.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Final

from jobdesk.protocol import ErrorCode, Status
from jobdesk.protocol.rest import JobAck
from jobdesk.sdk.calls import (
    Body,
    Headers,
    PipelineSpec,
    body_call,
    check_name,
    clip,
    message_body,
    pipeline_body,
    to_fraction,
)
from jobdesk.sdk.claiming import ATTEMPT_HEADER
from jobdesk.sdk.coalesce import OVERALL, Outbox
from jobdesk.sdk.errors import JobStopped, SdkError
from jobdesk.sdk.wire import Call

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


class ReporterBase(ABC):
    """Seed 001's JobLogger and PipelineLogger in one: progress in percent (0-100)."""

    def __init__(self, job_id: str, interval: float, headers: Headers = None) -> None:
        if not job_id:
            raise ValueError("job_id must not be empty")
        self._job_id = job_id
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

    @abstractmethod
    def _push_progress(self, key: str, fraction: float, message: str | None) -> None: ...

    @abstractmethod
    def _push_event(self, body: Body) -> None: ...


def _clip(message: str | None) -> str | None:
    return None if message is None else clip(message)
