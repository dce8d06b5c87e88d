"""Exactly once, with workers dying: 2,000 jobs, 8 worker processes, kill -9 mid-job.

The scenario and its checks, run by test_exactly_once.py on one SQLite server and by
test_exactly_once_cluster.py on three PostgreSQL replicas, one of which is also killed.

A server (2 s leases, a 0.2 s sweep) and eight worker processes
(``queue_worker``, the sync SDK's worker loop) share 2,000 jobs of 3 attempts each.
Some jobs make their worker hang until the test kills it (SIGKILL) and starts another:
such a job dies with every worker that takes it and must end failed after exactly 3
``lease_expired`` attempts. One job makes its worker stop itself (SIGSTOP) until its
lease is gone and another worker has completed the job: continued, the late worker must
be refused (LeaseLost) and must not count the job as done. Two more workers are killed
at arbitrary moments. Every other job must end completed, by exactly one attempt, and
no job id may be acknowledged as done twice across all the workers' files.

Regular jobs have ``REGULAR_ATTEMPTS`` (5), more than the 3 of the hanging ones: a
worker killed at random, or a replica killed under its worker, costs the jobs it held
(the one in hand and those it prefetched) one ``lease_expired`` attempt each, and two
such costs must not fail a job by bad luck; a hanging job may so fail without ever
hanging, in the buffers of workers killed for hanging on another.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from jobdesk.protocol import Job, Priority, Status
from jobdesk.protocol.rest import Snapshot
from jobdesk.sdk import AsyncJobdeskClient
from jobdesk.server.tokens import create_token
from tests.paged import read_all
from tests.polling import wait_for
from tests.sdk.queue_worker import JOB_TYPE

JOBS = 2000
WORKERS = 8
HANGS = 3
ATTEMPTS = 3
REGULAR_ATTEMPTS = 5
LEASE = 2.0
RANDOM_KILLS_AT = (600, 1200)
"""Completed-job counts at which one more worker is killed, wherever it is."""
SETTLE_WITHIN_S = 900
TIMEOUT_S = SETTLE_WITHIN_S + 120
"""Only bounds the wait for every job to end: 100 s was seen on this project's 2-core
machine at a load of 3, and the three-replica run took over 360 s beside two busy loops
(eight workers, three servers and PostgreSQL on two cores), so no pace is asserted
(speed is bench/'s business) and the bound is wide."""
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Slot:
    """One of the eight places a worker process runs; a killed one is replaced in it."""

    index: int
    token: str
    process: subprocess.Popen[bytes] | None = None
    generation: int = 0
    outputs: list[Path] = field(default_factory=list)


class Crew:
    """The worker processes, and what they wrote."""

    def __init__(self, urls: list[str], tokens: list[str], folder: Path) -> None:
        """Worker ``i`` talks to ``urls[i % len(urls)]``."""
        self.urls = urls
        self.folder = folder
        self.slots = [Slot(i, token) for i, token in enumerate(tokens)]
        self.kills = 0
        self._read: dict[Path, int] = {}
        for slot in self.slots:
            self.start(slot)

    def start(self, slot: Slot) -> None:
        slot.generation += 1
        name = f"w{slot.index}-{slot.generation}"
        out = self.folder / name
        slot.outputs.append(out)
        slot.process = subprocess.Popen(
            [sys.executable, "-m", "tests.sdk.queue_worker",
             self.urls[slot.index % len(self.urls)], slot.token, name, str(out), str(LEASE)],
            cwd=ROOT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )  # fmt: skip

    def replace(self, slot: Slot) -> None:
        """kill -9 the slot's worker (wherever it is in its job) and start a new one."""
        assert slot.process is not None
        slot.process.send_signal(signal.SIGKILL)
        slot.process.wait(10)
        self.kills += 1
        self.start(slot)

    def new_events(self) -> list[tuple[Slot, list[str]]]:
        """Event lines written since the last call, with the slot that wrote each."""
        found = []
        for slot in self.slots:
            path = slot.outputs[-1].with_suffix(".events")
            if not path.exists():
                continue
            text = path.read_text(encoding="utf-8")
            complete = text[: text.rfind("\n") + 1]
            start = self._read.get(path, 0)
            self._read[path] = len(complete)
            found += [(slot, line.split()) for line in complete[start:].splitlines()]
        return found

    def done_lines(self) -> list[str]:
        return [
            line
            for slot in self.slots
            for out in slot.outputs
            if out.with_suffix(".done").exists()
            for line in out.with_suffix(".done").read_text(encoding="utf-8").splitlines()
        ]

    def close(self) -> None:
        for slot in self.slots:
            if slot.process is not None and slot.process.poll() is None:
                slot.process.send_signal(signal.SIGCONT)
                slot.process.send_signal(signal.SIGKILL)
                slot.process.wait(10)


async def submit_all(url: str, token: str) -> tuple[list[str], str, list[str]]:
    """The hanging jobs and the pausing one first (HIGH: taken first), then the rest."""
    async with AsyncJobdeskClient(url, token) as client:
        hangs = [
            await client.submit_job(
                JOB_TYPE, payload={"do": "hang"}, priority=Priority.HIGH, max_attempts=ATTEMPTS
            )
            for _ in range(HANGS)
        ]
        pause = await client.submit_job(
            JOB_TYPE, payload={"do": "pause"}, priority=Priority.HIGH, max_attempts=REGULAR_ATTEMPTS
        )
        limit = asyncio.Semaphore(16)

        async def submit(n: int) -> str:
            async with limit:
                return await client.submit_job(
                    JOB_TYPE, payload={"n": n}, max_attempts=REGULAR_ATTEMPTS
                )

        rest = await asyncio.gather(*(submit(n) for n in range(JOBS - HANGS - 1)))
        return hangs, pause, list(rest)


@dataclass(frozen=True)
class Mishap:
    """Something done to the servers once ``at`` jobs are completed; it returns how many
    acknowledgements it may have cost (a completion committed whose answer was lost)."""

    at: int
    act: Callable[[], int]


class Referee:
    """Acts on what the workers report, and knows when every job has ended."""

    def __init__(
        self,
        read_from: Callable[[], str],
        crew: Crew,
        operator: str,
        pause_id: str,
        mishaps: list[Mishap],
    ) -> None:
        self.crew = crew
        self.pause_id = pause_id
        self.paused: Slot | None = None
        self.continued = False
        self.late_refusal: list[str] = []
        self.jobs: dict[str, Job] = {}
        self._read_from = read_from
        self._headers = {"Authorization": f"Bearer {operator}"}
        self._next_read = 0.0
        self._kills_due = list(RANDOM_KILLS_AT)
        self._mishaps = sorted(mishaps, key=lambda mishap: mishap.at)
        self.lost_answers = 0
        self.hang_kills = 0

    def settled(self) -> bool:
        """One round: act on the workers' events, read the jobs now and then; True at the end."""
        for slot, words in self.crew.new_events():
            if words[0] == "hang":
                self.hang_kills += 1
                self.crew.replace(slot)
            elif words[0] == "pause":
                self.paused = slot
            elif words[0] == "stopped" and words[1] == self.pause_id:
                self.late_refusal.append(words[2])
        if time.monotonic() < self._next_read:
            return False
        self._next_read = time.monotonic() + 0.25
        self.jobs = {job.id: job for job in self.read().jobs}
        self._continue_the_paused_one()
        self._kill_one_now_and_then()
        self._mishap_now_and_then()
        ended = all(job.status in (Status.COMPLETED, Status.FAILED) for job in self.jobs.values())
        return len(self.jobs) == JOBS and ended and bool(self.late_refusal)

    def read(self) -> Snapshot[Job]:
        with httpx.Client(base_url=self._read_from(), headers=self._headers, timeout=30) as client:
            return read_all(client, Job)

    def _continue_the_paused_one(self) -> None:
        paused = self.jobs.get(self.pause_id)
        if self.paused is None or self.continued or paused is None:
            return
        process = self.paused.process
        assert process is not None
        # Another worker did it meanwhile, and the paused one has stopped: it notes the
        # pause before it stops itself, and a job it took stale may be done already,
        # so a SIGCONT sent on the note alone can come first and be lost.
        if paused.status is Status.COMPLETED and _stopped(process.pid):
            process.send_signal(signal.SIGCONT)
            self.continued = True

    def _kill_one_now_and_then(self) -> None:
        completed = sum(job.status is Status.COMPLETED for job in self.jobs.values())
        if self._kills_due and completed >= self._kills_due[0]:
            self._kills_due.pop(0)
            victim = next(s for s in reversed(self.crew.slots) if s is not self.paused)
            self.crew.replace(victim)

    def _mishap_now_and_then(self) -> None:
        completed = sum(job.status is Status.COMPLETED for job in self.jobs.values())
        if self._mishaps and completed >= self._mishaps[0].at:
            self.lost_answers += self._mishaps.pop(0).act()


def tokens_in(location: Path | str) -> tuple[str, list[str]]:
    """An operator's token and one worker token per slot, in a SQLite file or a
    PostgreSQL database."""
    operator = create_token(location, "operator", "ops")
    return operator, [create_token(location, "worker", f"worker-{i}") for i in range(WORKERS)]


SERVER_CONFIG: dict[str, object] = {
    "sweep_interval_s": 0.2,
    "retention_count": 2 * JOBS,
    "stats_interval_s": 1.0,
}


def run_and_check(
    urls: list[str],
    read_from: Callable[[], str],
    operator: str,
    tokens: list[str],
    folder: Path,
    mishaps: list[Mishap] = [],  # noqa: B006 (never changed)
) -> None:
    """Run the scenario against servers at ``urls`` (worker i on ``urls[i % n]``),
    reading the jobs from ``read_from()``, and check every job's end."""
    crew: Crew | None = None
    try:
        crew = Crew(urls, tokens, folder)
        hangs, pause_id, _ = asyncio.run(submit_all(urls[0], operator))
        referee = Referee(read_from, crew, operator, pause_id, mishaps)
        wait_for(referee.settled, within=SETTLE_WITHIN_S)
        jobs = referee.read().jobs
        done = crew.done_lines()
        kills = crew.kills + referee.lost_answers
        left = referee._mishaps
        kills_left, hang_kills = referee._kills_due, referee.hang_kills
    finally:
        if crew is not None:
            crew.close()

    assert left == []  # every mishap happened
    assert len(jobs) == JOBS
    by_status = Counter(job.status for job in jobs)
    assert set(by_status) <= {Status.COMPLETED, Status.FAILED}, by_status
    failed = {job.id for job in jobs if job.status is Status.FAILED}
    assert failed == set(hangs)  # only the jobs that killed every worker taking them
    for job in jobs:
        outcomes = [attempt.outcome for attempt in job.history]
        if job.status is Status.FAILED:
            assert (job.attempts, outcomes) == (ATTEMPTS, ["lease_expired"] * ATTEMPTS)
        else:
            assert outcomes.count("completed") == 1, (job.id, outcomes)
            assert outcomes[-1] == "completed"
            assert set(outcomes[:-1]) <= {"lease_expired"}, (job.id, outcomes)
            assert len(outcomes) <= REGULAR_ATTEMPTS

    twice = [job_id for job_id, n in Counter(done).items() if n > 1]
    assert twice == []
    completed = {job.id for job in jobs if job.status is Status.COMPLETED}
    assert set(done) <= completed
    assert len(done) >= len(completed) - kills  # a kill loses at most the line it was writing
    paused = next(job for job in jobs if job.id == pause_id)
    outcomes = [attempt.outcome for attempt in paused.history]
    assert (outcomes[0], outcomes[-1]) == ("lease_expired", "completed")  # by someone else
    assert referee.late_refusal == ["LeaseLost"]  # the late worker was fenced out
    assert kills_left == []  # every random kill happened
    assert hang_kills >= 1  # a hanging job may also fail in the buffers of killed workers


def _stopped(pid: int) -> bool:
    """Whether the process is stopped by a signal (state ``T`` in /proc)."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] == "T"
    except OSError:
        return False
