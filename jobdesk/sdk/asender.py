"""The task that delivers what an async client's reporters queue: ``delivery`` in a task."""

from __future__ import annotations

import asyncio
from contextlib import nullcontext
from typing import Any

from jobdesk.sdk.delivery import SenderBase
from jobdesk.sdk.tasks import Changes, TaskShell


class AsyncSender(SenderBase):
    def __init__(self, shell: TaskShell, **options: Any) -> None:
        self.changes = Changes()
        self.guard = nullcontext()
        """One event loop runs its reporters: nothing to hold."""
        super().__init__(shell, **options)
        self._task: asyncio.Task[None] | None = None

    def _changed(self) -> None:
        self.changes.changed()

    def wake(self, reporter: object) -> None:
        if self.delivery.wake(reporter) and self._task is None:  # type: ignore[arg-type]
            self._task = asyncio.get_running_loop().create_task(self._run(), name=self._name)

    async def stop(self) -> None:
        """Stop at once (a request in flight is cancelled; what is queued stays unsent)."""
        self.delivery.stop()
        task = self._task
        if task is not None and task is not asyncio.current_task() and not task.done():
            task.cancel()
            await asyncio.wait([task])
        self.changes.changed()

    async def _run(self) -> None:
        steps = self.delivery.run()
        await self.shell.run(steps, changes=self.changes, limit=self._limit)
