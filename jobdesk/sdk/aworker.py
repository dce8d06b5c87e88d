"""AsyncWorker: Worker's loop for asyncio code (``async for job in worker.jobs(...)``).

Same rules as the sync Worker (see ``worker``): long-poll claims, the retry policy and a
rest when the server is away, a job left open completed when the next is asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncGenerator, Awaitable, Callable
from typing import Any

from jobdesk.protocol import Job
from jobdesk.sdk.aclaimed import AsyncClaimedJob
from jobdesk.sdk.claiming import (
    WorkerSettings,
    check_job_types,
    claim_call,
    claim_retryable,
    idle_rest,
)
from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.retry import rest_between_rounds
from jobdesk.sdk.transport import AsyncTransport

log = logging.getLogger("jobdesk.sdk")


class AsyncWorker:
    """Claims jobs for one task; use it from the thread running its event loop."""

    def __init__(
        self,
        transport: AsyncTransport,
        settings: WorkerSettings,
        claimed: Callable[[Job, WorkerSettings], AsyncClaimedJob],
    ) -> None:
        self._transport = transport
        self._settings = settings
        self._claimed = claimed
        self._stop_event = asyncio.Event()
        self._detached = False

    @property
    def settings(self) -> WorkerSettings:
        return self._settings

    @property
    def stopped(self) -> bool:
        return self._stop_event.is_set()

    def stop(self) -> None:
        """End ``jobs()`` after the job in hand (a claim already waiting is let finish,
        and a job it brings is still handed out, as with Worker.stop)."""
        self._stop_event.set()

    def _detach(self) -> None:
        self._detached = True
        self._stop_event.set()

    def jobs(self, *job_types: str) -> AsyncGenerator[AsyncClaimedJob, None]:
        """Claimed jobs of ``job_types`` until ``stop()`` or the client closes; see
        Worker.jobs for what happens to a job the loop body leaves open."""
        return self._loop(check_job_types(job_types))

    async def _loop(self, job_types: list[str]) -> AsyncGenerator[AsyncClaimedJob, None]:
        current: AsyncClaimedJob | None = None
        try:
            while not self.stopped:
                claimed = await self._claim(job_types)
                if claimed is None or self._detached:
                    continue
                current = self._claimed(claimed, self._settings)
                yield current
                await current._settle()
                current = None
        finally:
            if current is not None:
                await current._abandon()

    async def _claim(self, job_types: list[str]) -> Job | None:
        call = claim_call(self._settings, job_types)
        started = time.monotonic()
        try:
            job = (await self._transport.send(call, pause=self._pause)).job
        except SdkError as exc:
            if self.stopped:
                return None
            if not claim_retryable(exc):
                raise
            log.warning("jobdesk: claiming failed, trying again: %s", exc)
            await self._pause(rest_between_rounds(self._transport.policy))
            return None
        except RuntimeError:
            if self._detached:  # the client closed under a claim
                return None
            raise
        if job is None:
            await self._pause(idle_rest(time.monotonic() - started))
        return job

    async def _pause(self, seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await self._stop_event.wait()
        return not self.stopped

    async def run(
        self, handler: Callable[[AsyncClaimedJob], Awaitable[Any]], *job_types: str
    ) -> None:
        """Await ``handler(job)`` for every claimed job until stopped; its return value is
        the result, an exception fails the job, is logged, and the loop goes on."""
        async for job in self.jobs(*job_types):
            try:
                async with job:
                    result = await handler(job)
                    if not job.closed:
                        await job.complete(result)
            except Exception:
                log.exception("jobdesk: job %s failed", job.job_id)
