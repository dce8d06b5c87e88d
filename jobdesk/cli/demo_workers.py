"""The demo's simulated workers: a steady trickle of jobs reported through the SDK.

Only the public SDK is used, with one token per worker as real deployments have, so
what the monitor shows is what real workers produce; the fleet runs in its own thread
and event loop, like workers in other processes, so any front end (this terminal view,
later the desktop monitor) can run beside it unchanged.

Jobs arrive in two ways, as in the seeds: some are started by the worker doing them
(seed 001, running at once), others are queued by the operator's token (seed 002) and
taken up by a worker a little later. About 10% fail, a few stall (stop reporting, so
the server marks them stale and later times them out).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from contextlib import AsyncExitStack
from random import Random
from typing import Final

from jobdesk.cli.demo_scenarios import KINDS, JobFailed, Kind, Outcome, Sim, Spec, Stalled
from jobdesk.sdk import AsyncJobdeskClient, AsyncJobReporter, RetryPolicy, SdkError

log = logging.getLogger("jobdesk.demo")

WORKER_NAMES: Final = {
    "files": "files-worker",
    "documents": "analysis-worker",
    "agents": "agent-runner",
    "mail": "mailer",
}
"""Worker key -> the token name each simulated worker reports as (its jobs' owner)."""

FAIL_SHARE: Final = 0.10
STALL_SHARE: Final = 0.05
QUEUED_SHARE: Final = 0.4
FIRST_BURST: Final = 4
MAX_ACTIVE: Final = 8
RETRY: Final = RetryPolicy(max_attempts=3, max_elapsed=3.0)
"""Short: a demo worker that cannot reach the server should give up and move on."""


class DemoFleet:
    """Simulated workers in a background thread: ``start()``, later ``stop()``."""

    def __init__(
        self,
        url: str,
        operator_token: str,
        worker_tokens: Mapping[str, str],
        *,
        seed: int | None = None,
        pace: float = 1.0,
    ) -> None:
        missing = set(WORKER_NAMES) - set(worker_tokens)
        if missing:
            raise ValueError(f"no token for workers {sorted(missing)}")
        self._url = url
        self._operator = operator_token
        self._workers = dict(worker_tokens)
        self._rng = Random(seed)
        self._pace = pace
        self._lock = threading.Lock()
        self._created: list[str] = []
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()

    @property
    def created(self) -> list[str]:
        """Ids of the jobs made so far, oldest first."""
        with self._lock:
            return list(self._created)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="jobdesk-demo", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop making jobs; jobs in progress are left as they are (running)."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout)

    def _main(self) -> None:
        asyncio.run(self._run_until_stopped())

    async def _run_until_stopped(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._ready.set()
        await self.run(self._stop)

    async def run(self, stop: asyncio.Event) -> None:
        """Make and work jobs until ``stop`` is set; usable on any event loop."""
        async with AsyncExitStack() as stack:
            producer = await stack.enter_async_context(self._client(self._operator))
            clients = {
                key: await stack.enter_async_context(self._client(token))
                for key, token in self._workers.items()
            }
            tasks: set[asyncio.Task[None]] = set()

            def launch() -> None:
                if len(tasks) < MAX_ACTIVE:
                    task = asyncio.create_task(self._one_job(producer, clients))
                    tasks.add(task)
                    task.add_done_callback(tasks.discard)

            try:
                for _ in range(FIRST_BURST):
                    launch()
                while not await _stopped(stop, self._rng.uniform(1.0, 3.5) * self._pace):
                    launch()
            finally:
                for task in tasks:
                    task.cancel()
                await asyncio.gather(*tasks, return_exceptions=True)

    def _client(self, token: str) -> AsyncJobdeskClient:
        return AsyncJobdeskClient(self._url, token, retry=RETRY)

    async def _one_job(
        self, producer: AsyncJobdeskClient, clients: Mapping[str, AsyncJobdeskClient]
    ) -> None:
        rng = self._rng
        kind = rng.choice(KINDS)
        spec = kind.make_spec(rng)
        sim = Sim(Random(rng.random()), self._outcome(), self._pace, rng.uniform(0.2, 0.8))
        worker = clients[kind.worker]
        try:
            job = await self._begin(producer, worker, spec, rng)
            await work(job, kind, sim, spec)
        except SdkError as exc:
            # e.g. CONFLICT when the server timed the job out: a real worker moves on too.
            log.info("demo job of %s ended early: %s", WORKER_NAMES[kind.worker], exc)
        except Exception:  # a bug in a scenario: say so, keep the other workers going
            log.exception("demo job of %s crashed", WORKER_NAMES[kind.worker])

    async def _begin(
        self, producer: AsyncJobdeskClient, worker: AsyncJobdeskClient, spec: Spec, rng: Random
    ) -> AsyncJobReporter:
        if rng.random() < QUEUED_SHARE:
            job_id = await producer.create_job(
                spec.job_type, name=spec.name, message=spec.message, metadata=spec.metadata
            )
            self._record(job_id)
            await asyncio.sleep(rng.uniform(1.0, 4.0) * self._pace)  # waiting in the queue
            return worker.reporter(job_id)
        job = await worker.start_job(
            spec.job_type, name=spec.name, message=spec.message, metadata=spec.metadata
        )
        self._record(job.job_id)
        return job

    def _outcome(self) -> Outcome:
        roll = self._rng.random()
        if roll < FAIL_SHARE:
            return Outcome.FAIL
        if roll < FAIL_SHARE + STALL_SHARE:
            return Outcome.STALL
        return Outcome.COMPLETE

    def _record(self, job_id: str) -> None:
        with self._lock:
            self._created.append(job_id)


async def work(job: AsyncJobReporter, kind: Kind, sim: Sim, spec: Spec) -> None:
    """Do one simulated job to its planned end: completed, failed, or left stalled."""
    try:
        await kind.run(job, sim, spec)
    except JobFailed as failure:
        await job.fail(str(failure))
    except Stalled:
        await job.close()  # delivered what it had; never reports again


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds``; True when ``stop`` was set meanwhile."""
    try:
        await asyncio.wait_for(stop.wait(), seconds)
    except TimeoutError:
        return False
    return True
