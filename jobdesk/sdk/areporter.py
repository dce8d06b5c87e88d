"""AsyncJobReporter: the asyncio shell of a reporter (see ``reporting`` for its core).

Same queue and the same rules as the thread reporter (see ``reporter``), sent by the
client's task shared by its reporters (see ``asender``); the reporting calls are plain
methods that only queue, the waiting ones are coroutines. Use it from the thread
running its event loop.
"""

from __future__ import annotations

import asyncio
from typing import Any

from jobdesk.protocol import Status
from jobdesk.sdk.asender import AsyncSender
from jobdesk.sdk.reporting import ReporterBase
from jobdesk.sdk.steps import Steps
from jobdesk.sdk.tasks import TaskShell
from jobdesk.sdk.wire import Call


class AsyncJobReporter(ReporterBase):
    """Report on one job from asyncio code; ``async with`` ends the job as JobReporter's
    ``with`` does (completed on a normal exit, failed with the exception's text)."""

    _shell: TaskShell
    _sender: AsyncSender
    _own: AsyncSender | None

    def _own_sender(
        self, shell: TaskShell, job_id: str, limit: asyncio.Semaphore | None
    ) -> AsyncSender:
        return AsyncSender(shell, batch=False, name=f"jobdesk-reporter-{job_id}", limit=limit)

    async def _run(self, steps: Steps[Any]) -> Any:
        return await self._shell.run(steps, changes=self._sender.changes)

    async def flush(self) -> None:
        """Wait until everything reported so far is delivered; raises as JobReporter's."""
        await self._run(self._flush_steps())

    async def complete(self, result: Any = None, message: str | None = None) -> None:
        """Deliver what is pending, then end the job as completed (progress 100)."""
        await self._end(self._completion(result, message), Status.COMPLETED, "complete")

    async def fail(self, error: str | BaseException) -> None:
        """Deliver what is pending, then end the job as failed."""
        await self._end(self._failure(error), Status.FAILED, "fail")

    async def _end(self, call: Call[Any], status: Status, action: str) -> None:
        await self._run(self._ending(call, status, action))
        await self._shutdown()

    async def close(self) -> None:
        """Deliver what is pending and stop the sender; the job itself is left as it is."""
        if self._closed:
            return
        try:
            await self.flush()
        finally:
            await self._shutdown()

    async def _shutdown(self) -> None:
        already = self._mark_closed()
        if self._own is not None:
            await self._own.stop()
        if not already and self._on_close is not None:
            self._on_close(self)

    async def __aenter__(self) -> AsyncJobReporter:
        return self

    async def __aexit__(self, *exc_info: Any) -> bool:
        try:
            return bool(await self._run(self._exiting(exc_info[1])))
        finally:
            await self._shutdown()
