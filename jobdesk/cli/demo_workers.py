"""The demo's simulated workers: an operator submitting to the queue, workers pulling.

Only the public SDK is used, with one token per worker as real deployments have, so
what the monitor shows is what real workers produce; the fleet runs in its own thread
and event loop, like workers in other processes, so any front end (the terminal view,
the desktop monitor) runs beside it unchanged.

The operator's token submits a job every few seconds (priority mostly MEDIUM, up to 3
attempts). Each kind of work has its own worker token with two claim loops, so the
queue, not the fleet, decides who does what. The plan travels in the payload: most jobs
complete; some are flaky (the first attempt fails, the retry completes), some fail on
every attempt, and some stall on their first attempt (the worker goes silent, its lease
runs out, and the job returns to the queue for another worker).
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from contextlib import AsyncExitStack
from random import Random
from typing import Any, Final

from jobdesk.cli.demo_scenarios import KINDS, JobFailed, Kind, Outcome, Sim, Spec, Stalled
from jobdesk.core.waits import wait_set
from jobdesk.protocol import Priority
from jobdesk.sdk import (
    AsyncClaimedJob,
    AsyncJobdeskClient,
    AsyncJobReporter,
    RetryPolicy,
    SdkError,
)

log = logging.getLogger("jobdesk.demo")

WORKER_NAMES: Final = {
    "files": "files-worker",
    "documents": "analysis-worker",
    "agents": "agent-runner",
    "mail": "mailer",
}
"""Worker key -> the token name each simulated worker reports as (its jobs' owner)."""

PLANS: Final = (("complete", 0.80), ("flaky", 0.08), ("fail", 0.06), ("stall", 0.06))
"""What becomes of a submitted job, and how often."""
PRIORITIES: Final = ((Priority.HIGH, 0.2), (Priority.MEDIUM, 0.6), (Priority.LOW, 0.2))
MAX_ATTEMPTS: Final = 3
LOOPS_PER_WORKER: Final = 2
LEASE_S: Final = 10.0
"""Short, so a stalled attempt returns to the queue while you watch."""
FIRST_BURST: Final = 4
RETRY: Final = RetryPolicy(max_attempts=3, max_elapsed=3.0)
"""Short: a demo worker that cannot reach the server should give up and move on."""


def _weighted(rng: Random, choices: tuple[tuple[Any, float], ...]) -> Any:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


def outcome_of(plan: str, attempt: int) -> Outcome:
    """The planned end of one attempt: flaky and stalling jobs recover on their retry."""
    if plan == "fail":
        return Outcome.FAIL
    if plan == "flaky" and attempt == 1:
        return Outcome.FAIL
    if plan == "stall" and attempt == 1:
        return Outcome.STALL
    return Outcome.COMPLETE


class DemoFleet:
    """The simulated operator and workers in a background thread: ``start()``, ``stop()``."""

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
        """Ids of the jobs submitted so far, oldest first."""
        with self._lock:
            return list(self._created)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._main, name="jobdesk-demo", daemon=True)
        self._thread.start()
        self._ready.wait(10)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop submitting and claiming; jobs in progress are left as they are."""
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
        """Submit and work jobs until ``stop`` is set; usable on any event loop."""
        async with AsyncExitStack() as stack:
            producer = await stack.enter_async_context(self._client(self._operator))
            clients = {
                key: await stack.enter_async_context(self._client(token))
                for key, token in self._workers.items()
            }
            loops = [
                asyncio.create_task(self._work(clients[kind.worker], kind, n))
                for kind in KINDS
                for n in range(1, LOOPS_PER_WORKER + 1)
            ]
            try:
                for _ in range(FIRST_BURST):
                    await self._submit(producer)
                while not await _stopped(stop, self._rng.uniform(1.0, 3.5) * self._pace):
                    await self._submit(producer)
            finally:
                for task in loops:
                    task.cancel()
                await asyncio.gather(*loops, return_exceptions=True)

    def _client(self, token: str) -> AsyncJobdeskClient:
        return AsyncJobdeskClient(self._url, token, retry=RETRY)

    async def _submit(self, producer: AsyncJobdeskClient) -> None:
        rng = self._rng
        kind = rng.choice(KINDS)
        spec = kind.make_spec(rng)
        payload = {
            "plan": _weighted(rng, PLANS),
            "seed": rng.randrange(1 << 30),
            "breakAt": round(rng.uniform(0.2, 0.8), 2),
        }
        try:
            job_id = await producer.submit_job(
                spec.job_type,
                name=spec.name,
                payload=payload,
                priority=_weighted(rng, PRIORITIES),
                max_attempts=MAX_ATTEMPTS,
                metadata=spec.metadata,
            )
        except SdkError as exc:
            log.info("demo submission refused: %s", exc)
            return
        with self._lock:
            self._created.append(job_id)

    async def _work(self, client: AsyncJobdeskClient, kind: Kind, number: int) -> None:
        """One claim loop of one worker: take this kind's jobs, do them as planned."""
        name = f"{WORKER_NAMES[kind.worker]}#{number}"
        worker = client.worker(name, lease=LEASE_S, wait=10.0)
        async for job in worker.jobs(kind.job_type):
            try:
                # ``async with``: a crash in a scenario fails the job; a cancel or a lost
                # lease (JobStopped) ends it quietly, and the worker moves on.
                async with job:
                    await work(job, kind, self._sim(job), _spec(job))
            except SdkError as exc:
                log.info("demo job %s ended early: %s", job.job_id, exc)
            except Exception:  # a bug in a scenario: say so, keep the worker going
                log.exception("demo job %s crashed", job.job_id)

    def _sim(self, job: AsyncClaimedJob) -> Sim:
        payload = job.payload if isinstance(job.payload, dict) else {}
        plan = str(payload.get("plan", "complete"))
        rng = Random(int(payload.get("seed", 0)) + job.attempt)
        break_at = float(payload.get("breakAt", 0.5))
        return Sim(rng, outcome_of(plan, job.attempt), self._pace, break_at)


def _spec(job: AsyncClaimedJob) -> Spec:
    claimed = job.job
    return Spec(claimed.job_type, claimed.name, dict(claimed.metadata), claimed.message)


async def work(job: AsyncJobReporter, kind: Kind, sim: Sim, spec: Spec) -> None:
    """Do one simulated attempt to its planned end: completed, failed, or left stalled."""
    problem = kind.unfit(spec)
    if problem is not None:
        await job.fail(problem)
        return
    try:
        await kind.run(job, sim, spec)
    except JobFailed as failure:
        await job.fail(str(failure))
    except Stalled:
        await job.close()  # delivered what it had; never reports again


async def _stopped(stop: asyncio.Event, seconds: float) -> bool:
    """Wait up to ``seconds``; True when ``stop`` was set meanwhile."""
    return await wait_set(stop, seconds)
