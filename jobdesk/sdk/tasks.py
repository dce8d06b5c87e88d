"""The asyncio shell: takes the core's steps (see ``steps``) in the running task.

A Call is sent with httpx's async client, a Sleep is ``asyncio.sleep`` (a stop cancels
the task), a Wait waits for the next ``Changes.changed()``. One event loop runs the
core, so it needs no lock: nothing else runs between a check and the Wait it leads to.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from contextlib import AbstractAsyncContextManager, nullcontext
from typing import Any, TypeVar

import httpx

from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.steps import Attempt, ShellBase, Sleep, Step, Steps, Wait, advance
from jobdesk.sdk.transport import exchange
from jobdesk.sdk.wire import Call

R = TypeVar("R")
AsyncPause = Callable[[float], Awaitable[bool]]


async def asleep(seconds: float) -> bool:
    await asyncio.sleep(seconds)
    return True


class Changes:
    """What a Wait waits for: the next ``changed()``."""

    def __init__(self) -> None:
        self._tick = asyncio.Event()

    def changed(self) -> None:
        self._tick.set()
        self._tick = asyncio.Event()

    async def wait(self, seconds: float | None) -> None:
        tick = self._tick
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                await tick.wait()


class TaskShell(ShellBase):
    """One client's connection pool and retry policy, for the tasks of one event loop."""

    http: httpx.AsyncClient
    _http_class = httpx.AsyncClient
    _semaphore_class = asyncio.Semaphore

    async def close(self) -> None:
        await self.http.aclose()

    async def send(self, call: Call[R], pause: AsyncPause = asleep) -> R:
        """``call``'s answer, retried as the policy allows; raises its SdkError."""
        return await self.run(exchange(call, self.policy, self._rng), pause=pause)

    async def run(
        self,
        steps: Steps[R],
        *,
        pause: AsyncPause = asleep,
        changes: Changes | None = None,
        limit: AbstractAsyncContextManager[Any] | None = None,
    ) -> R:
        """Take ``steps`` to their end and return their result (see ThreadShell.run)."""
        outcome: Any = None
        failure: BaseException | None = None
        while True:
            try:
                step = advance(steps, outcome, failure)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            outcome, failure = await self._take(step, pause, changes, limit)

    async def _take(
        self,
        step: Step,
        pause: AsyncPause,
        changes: Changes | None,
        limit: AbstractAsyncContextManager[Any] | None,
    ) -> tuple[Any, BaseException | None]:
        if isinstance(step, Wait):
            assert changes is not None, "a Wait needs the changes it waits for"
            await changes.wait(step.seconds)
            return None, None
        if isinstance(step, Sleep):
            return await pause(step.seconds), None
        if isinstance(step, Attempt):
            try:
                return await self.http.send(step.call.build(self.http)), None
            except httpx.HTTPError as exc:
                return exc, None
        try:
            async with limit if limit is not None else nullcontext():
                return await self.send(step, pause), None
        except SdkError as exc:
            return None, exc
