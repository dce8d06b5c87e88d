"""AsyncJobdeskClient: JobdeskClient's API as coroutines, for asyncio workers: the
asyncio shell over the SDK's core (see ``steps`` and docs/sdk.md)."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Generator
from types import TracebackType
from typing import Any, TypeVar

from jobdesk.sdk.aclaimed import AsyncClaimedJob
from jobdesk.sdk.areporter import AsyncJobReporter
from jobdesk.sdk.asender import AsyncSender
from jobdesk.sdk.aworker import AsyncWorker
from jobdesk.sdk.clientbase import ClientBase, Parts, quietly
from jobdesk.sdk.steps import Steps
from jobdesk.sdk.tasks import TaskShell

R = TypeVar("R")


class StartingJob:
    """What ``AsyncJobdeskClient.start_job`` returns: ``await`` it for the reporter, or
    use it directly as ``async with client.start_job(...) as job:``.

    The job is started only then, so an unused StartingJob makes no request.
    """

    def __init__(self, start: Callable[[], Coroutine[Any, Any, AsyncJobReporter]]) -> None:
        self._start = start
        self._reporter: AsyncJobReporter | None = None

    def __await__(self) -> Generator[Any, None, AsyncJobReporter]:
        return self._start().__await__()

    async def __aenter__(self) -> AsyncJobReporter:
        self._reporter = await self._start()
        return self._reporter

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._reporter is not None:
            await self._reporter.__aexit__(exc_type, exc, tb)


class AsyncJobdeskClient(ClientBase[AsyncJobReporter, AsyncClaimedJob, AsyncWorker, "StartingJob"]):
    """Talks to one jobdesk server with one bearer token, from one event loop.

    Its reporters share one sending task, which sends what they report at about the same
    time as one batch request (``batch=False``: one request per report, as
    ``JobdeskClient``'s). The options are ``JobdeskClient``'s."""

    _parts = Parts(TaskShell, AsyncJobReporter, AsyncClaimedJob, AsyncWorker)

    async def _run(self, steps: Steps[R]) -> R:
        return await self._shell.run(steps)  # type: ignore[no-any-return]

    def _started(self, steps: Steps[str]) -> StartingJob:
        async def start() -> AsyncJobReporter:
            return self.reporter(await self._run(steps))

        return StartingJob(start)

    def _shared_sender(self) -> AsyncSender:
        return AsyncSender(self._shell, batch=True)

    async def close(self) -> None:
        for reporter in self._leaving():
            with quietly(reporter):
                await reporter.close()
        if self._sender is not None:
            await self._sender.stop()
        await self._shell.close()

    async def __aenter__(self) -> AsyncJobdeskClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
