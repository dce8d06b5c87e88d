"""AsyncJobReporter: JobReporter for asyncio code, sending from a background task.

Same queue and the same rules as the sync reporter (see ``reporter`` and ``coalesce``);
the reporting calls are plain methods that only queue, the waiting ones are coroutines.
Use it from the thread running its event loop.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
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
    ) -> None:
        super().__init__(job_id, interval, headers)
        self._transport = transport
        self._on_close = on_close
        self._wake_event = asyncio.Event()
        self._tick = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

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
        if self._task is None:
            name = f"jobdesk-reporter-{self.job_id}"
            self._task = asyncio.get_running_loop().create_task(self._run(), name=name)
        self._wake_event.set()

    def _changed(self) -> None:
        """Wake every flusher waiting for the sender to make progress."""
        self._tick.set()
        self._tick = asyncio.Event()

    async def flush(self) -> None:
        """Wait until everything reported so far is delivered; raises as JobReporter's."""
        seen = self._failures
        self._flushing += 1
        self._flush_calls += 1
        try:
            while self._fatal is None and (self._outbox or self._sending):
                if self._failures > seen and self._last_failure is not None:
                    raise self._last_failure
                if self._stopping:
                    raise self._closed_with_pending()
                tick = self._tick
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
            snapshot = await self._transport.send(snapshot_call())
            return find_job(snapshot, self.job_id).status is status
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
        self._wake_event.set()
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            await asyncio.wait([task])
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

    # --- the sender task ---------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while await self._next_round():
                await self._deliver()
        except Exception as exc:  # a bug here must not leave flush() waiting forever
            log.exception("jobdesk: reporter task of job %s crashed", self.job_id)
            self._give_up(SdkError("UNKNOWN_ERROR", f"reporter task crashed: {exc!r}"))
            self._changed()

    async def _next_round(self) -> bool:
        """Wait until something is due; False when the reporter stops."""
        while self._fatal is None and not self._stopping:
            if self._sending or self._take_due(time.monotonic()):
                return True
            await self._rest(self._outbox.due_in(time.monotonic()))
        return False

    async def _rest(self, seconds: float | None) -> None:
        """Sleep until woken by new work, a flush or close, or ``seconds`` have passed."""
        self._wake_event.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake_event.wait()

    async def _deliver(self) -> None:
        while self._sending and not self._stopping:
            call = self._sending[0]
            try:
                await self._transport.send(call)
            except SdkError as exc:
                if exc.code != UNAVAILABLE:
                    self._give_up(exc)
                    self._changed()
                    return
                self._note_failure(exc)
                self._changed()
                await self._rest_after_failure()
                return
            if self._sending and self._sending[0] is call:
                self._sending.pop(0)
            self._changed()

    async def _rest_after_failure(self) -> None:
        """Rest until the next round is due, or a new flush asks for one at once."""
        asked = self._flush_calls
        deadline = time.monotonic() + rest_between_rounds(self._transport.policy)
        while not self._stopping and self._flush_calls == asked:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await self._rest(left)
