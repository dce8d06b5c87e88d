"""The background task that delivers what async reporters queue: ``sender.Sender`` for
asyncio, with the same rounds (see ``batching``) and the same rules."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import TYPE_CHECKING

from jobdesk.sdk import batching
from jobdesk.sdk.batching import Round
from jobdesk.sdk.errors import UNAVAILABLE, SdkError
from jobdesk.sdk.retry import rest_between_rounds
from jobdesk.sdk.transport import AsyncTransport

if TYPE_CHECKING:
    from jobdesk.sdk.areporter import AsyncJobReporter

log = logging.getLogger("jobdesk.sdk")


class AsyncSender:
    def __init__(
        self,
        transport: AsyncTransport,
        *,
        batch: bool,
        name: str = "",
        limit: asyncio.Semaphore | None = None,
    ) -> None:
        self.transport = transport
        self.batch = batch
        """Send rounds as batch requests (False: one request per report)."""
        self._limit = limit
        """Shared by a client's one-request-per-report senders (see ``sender.CONCURRENT_SENDS``)."""
        self.flush_calls = 0
        self._name = name or "jobdesk-sender"
        self._waiting: dict[AsyncJobReporter, None] = {}
        self._retry: Round | None = None
        self._wake = asyncio.Event()
        self._tick = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def tick(self) -> asyncio.Event:
        """Set at the sender's next step: what a flush waits on."""
        return self._tick

    def wake(self, reporter: AsyncJobReporter) -> None:
        if self._stopping:
            return
        self._waiting[reporter] = None
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)
        self._wake.set()

    def changed(self) -> None:
        """Wake every flusher waiting for the sender to make progress."""
        self._tick.set()
        self._tick = asyncio.Event()

    async def stop(self) -> None:
        """Stop at once (a request in flight is cancelled; what is queued stays unsent)."""
        self._stopping = True
        self._wake.set()
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            await asyncio.wait([task])
        self.changed()

    # --- the task ----------------------------------------------------------------------

    async def _run(self) -> None:
        try:
            while (round_ := await self._next_round()) is not None:
                await self._deliver(round_)
        except Exception as exc:  # a bug here must not leave flush() waiting forever
            log.exception("jobdesk: reporter task crashed")
            crashed = SdkError("UNKNOWN_ERROR", f"reporter task crashed: {exc!r}")
            for reporter in list(self._waiting):
                reporter._give_up(crashed)
            self.changed()

    async def _next_round(self) -> Round | None:
        while not self._stopping:
            if self._retry is not None:
                again, self._retry = self._retry, None
                return again
            due, wait = batching.due_now(self._waiting, time.monotonic())
            if due:
                return batching.take(self._waiting, due, batch=self.batch)
            await self._rest(wait)
        return None

    async def _rest(self, seconds: float | None) -> None:
        """Sleep until woken by new work, a flush or stop, or ``seconds`` have passed."""
        self._wake.clear()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._wake.wait()

    async def _deliver(self, round_: Round) -> None:
        if round_.call is None:
            await self._deliver_each(round_)
            return
        try:
            answer = await self.transport.send(round_.call)
        except SdkError as exc:
            if exc.code == UNAVAILABLE:
                self._retry = round_
                log.warning(
                    "jobdesk: updates of %d jobs not delivered yet: %s", len(round_.parts), exc
                )
                for part in round_.parts:
                    part.reporter._note_failure(exc, quiet=True)
                self.changed()
                await self._rest_after_failure()
            elif batching.endpoint_missing(exc):
                log.info("jobdesk: the server has no batch endpoint; one request per report")
                self.batch = False
            else:
                for part in round_.parts:
                    part.reporter._give_up(exc)
                self.changed()
            return
        batching.settle(round_, answer)
        self.changed()

    async def _deliver_each(self, round_: Round) -> None:
        for part in round_.parts:
            reporter = part.reporter
            while reporter._sending and not reporter._closed and not self._stopping:
                pending = reporter._sending[0]
                call = reporter._call(pending)
                try:
                    if self._limit is None:
                        await self.transport.send(call)
                    else:
                        async with self._limit:
                            await self.transport.send(call)
                except SdkError as exc:
                    if exc.code != UNAVAILABLE:
                        reporter._give_up(exc)
                        self.changed()
                        break
                    reporter._note_failure(exc)
                    self.changed()
                    await self._rest_after_failure()
                    return
                if reporter._sending and reporter._sending[0] is pending:
                    reporter._sending.pop(0)
                self.changed()

    async def _rest_after_failure(self) -> None:
        """Rest until the next round is due, or a new flush asks for one at once."""
        asked = self.flush_calls
        deadline = time.monotonic() + rest_between_rounds(self.transport.policy)
        while not self._stopping and self.flush_calls == asked:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            await self._rest(left)
