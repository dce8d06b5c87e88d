"""AsyncJobReporter: JobReporter for asyncio code, sending from a background task.

Same queue and the same rules as the sync reporter (see ``reporter`` and ``coalesce``),
sent by the client's task shared by its reporters (see ``asender``); the reporting calls
are plain methods that only queue, the waiting ones are coroutines. Use it from the
thread running its event loop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

from jobdesk.protocol import Status
from jobdesk.protocol.rest import JobAck
from jobdesk.sdk.asender import AsyncSender
from jobdesk.sdk.calls import Body, Headers, complete_call, detail_call, fail_call
from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.reporting import DEFAULT_INTERVAL, ReporterBase
from jobdesk.sdk.transport import AsyncTransport
from jobdesk.sdk.wire import Call

log = logging.getLogger("jobdesk.sdk")


class AsyncJobReporter(ReporterBase):
    """Report on one job from asyncio code; ``async with`` ends the job as JobReporter's
    ``with`` does (completed on a normal exit, failed with the exception's text)."""

    def __init__(
        self,
        transport: AsyncTransport,
        job_id: str,
        *,
        interval: float = DEFAULT_INTERVAL,
        on_close: Callable[[AsyncJobReporter], None] | None = None,
        headers: Headers = None,
        sender: AsyncSender | None = None,
        limit: asyncio.Semaphore | None = None,
    ) -> None:
        super().__init__(job_id, interval, headers)
        self._transport = transport
        self._on_close = on_close
        self._own_sender = sender is None
        self._sender = sender or AsyncSender(
            transport, batch=False, name=f"jobdesk-reporter-{job_id}", limit=limit
        )
        self._stopping = False

    # --- the caller's side -------------------------------------------------------------

    def _push_progress(self, key: str, fraction: float, message: str | None) -> None:
        self._check_open("report progress")
        if self._fatal is None:
            self._outbox.progress(key, fraction, message, time.monotonic())
            self._wake()

    def _push_event(self, body: Body) -> None:
        self._check_open("log")
        if self._fatal is None:
            self._outbox.event(body, time.monotonic())
            self._wake()

    def _wake(self) -> None:
        self._sender.wake(self)

    async def flush(self) -> None:
        """Wait until everything reported so far is delivered; raises as JobReporter's."""
        seen = self._failures
        self._flushing += 1
        self._flush_calls += 1
        self._sender.flush_calls += 1
        try:
            while self._fatal is None and (self._outbox or self._sending):
                if self._failures > seen and self._last_failure is not None:
                    raise self._last_failure
                if self._stopping:
                    raise self._closed_with_pending()
                tick = self._sender.tick
                self._wake()
                await tick.wait()
        finally:
            self._flushing -= 1
        if self._fatal is not None:
            raise self._fatal

    async def complete(self, result: Any = None, message: str | None = None) -> None:
        """Deliver what is pending, then end the job as completed (progress 100)."""
        await self._finish(
            complete_call(self.job_id, result, message, self._headers), Status.COMPLETED, "complete"
        )

    async def fail(self, error: str | BaseException) -> None:
        """Deliver what is pending, then end the job as failed."""
        await self._finish(fail_call(self.job_id, error, self._headers), Status.FAILED, "fail")

    async def _finish(self, call: Call[JobAck], status: Status, action: str) -> None:
        self._check_open(action)
        await self.flush()
        try:
            await self._transport.send(call)
        except SdkError as exc:
            if not (self._maybe_committed(exc) and await self._ended_as(status)):
                raise
        self._finished = status
        await self._shutdown()

    async def _ended_as(self, status: Status) -> bool:
        try:
            job = await self._transport.send(detail_call(self.job_id))
            return job.status is status
        except SdkError:
            return False

    async def close(self) -> None:
        """Deliver what is pending and stop the sender; the job itself is left as it is."""
        if self._closed:
            return
        try:
            await self.flush()
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        already, self._closed = self._closed, True
        self._stopping = True
        if self._own_sender:
            await self._sender.stop()
        else:
            self._sender.changed()
        if not already and self._on_close is not None:
            self._on_close(self)

    async def __aenter__(self) -> AsyncJobReporter:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool | None:
        try:
            if self._finished is not None or self._closed:
                return None
            if exc is None:
                await self.complete()
                return None
            try:
                await self.fail(exc)
            except SdkError as failure:
                exc.add_note(f"jobdesk: job {self.job_id} could not be marked failed: {failure}")
                log.warning("jobdesk: job %s could not be marked failed: %s", self.job_id, failure)
        finally:
            await self._shutdown()
        return None  # the exception, if any, propagates
