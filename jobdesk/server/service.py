"""The job service: every operation the REST and WebSocket layers offer, as async calls.

It checks who may do what, turns requests into lifecycle transitions, and hands them to
the single writer; reads come from the committed in-memory state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import uuid
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import msgspec

from jobdesk.core.waits import wait_set
from jobdesk.protocol import (
    Attempt,
    ErrorCode,
    Job,
    JobStats,
    Priority,
    Status,
    format_timestamp,
)
from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import (
    BatchItem,
    ClaimRequest,
    CompleteAndClaimRequest,
    CompleteManyRequest,
    CompleteRequest,
    Completion,
    CreateJobRequest,
    FailRequest,
    MessageRequest,
    ProgressRequest,
    StartJobRequest,
)
from jobdesk.server import lifecycle
from jobdesk.server.batches import BatchStore, LocalBatches
from jobdesk.server.changes import Change
from jobdesk.server.collector import collector_paused
from jobdesk.server.config import ServerConfig
from jobdesk.server.db.checkpoint import INTERVAL_S as CHECKPOINT_INTERVAL_S
from jobdesk.server.db.history import HistoryQuery
from jobdesk.server.errors import ApiError, not_found
from jobdesk.server.hub import Hub
from jobdesk.server.idempotency import Once, Remembered, Replayed
from jobdesk.server.overview import Overview
from jobdesk.server.pg.replica import Replica
from jobdesk.server.queue import ClaimSignal, pick, seconds_until_due, wakes_claims
from jobdesk.server.sessions import Sessions
from jobdesk.server.state import ServerState
from jobdesk.server.storage import Storage
from jobdesk.server.sweep import MAX_COMMANDS as MAX_SWEEP_COMMANDS
from jobdesk.server.sweep import retry_at, sweep
from jobdesk.server.token_watch import watch_tokens
from jobdesk.server.tokens import Principal, Role, TokenVerifier
from jobdesk.server.writer import Transaction, Writer

log = logging.getLogger(__name__)
_decode_job = msgspec.json.Decoder(Job).decode
Clock = Callable[[], datetime]
T = TypeVar("T")


def _utc_now() -> datetime:
    return datetime.now(UTC)


def new_job_id() -> str:
    return "job_" + uuid.uuid4().hex[:16]


class JobService:
    def __init__(self, config: ServerConfig, clock: Clock = _utc_now) -> None:
        self.config = config
        self._clock = clock
        self.storage = (
            Storage.open_postgres(config.db_url)
            if config.db_url is not None
            else Storage.open_for_server(config.db_path, config.max_db_bytes)
        )
        window_start = clock().timestamp() - config.idempotency_window_s
        try:
            with collector_paused():
                self.state = ServerState(self.storage.load(remembered_after_s=window_start))
        except BaseException:
            self.storage.close()  # frees the file for the next try
            raise
        self.hub = Hub(self.state.epoch)
        self.overview = Overview(r.job for r in self.state.jobs.values())
        """Workers and queues as the claims and commits show them (``overview.py``)."""
        self.tokens = TokenVerifier(self.storage, retry_after_s=config.storage_retry_after_s)
        self.sessions = Sessions()
        """Open WebSockets by token, closed when their token is revoked."""
        self.replica: Replica | None = None
        """On PostgreSQL: the connections that make this server one replica of many."""
        batches: BatchStore = LocalBatches(self.storage)
        if config.db_url is not None:
            self.replica = Replica(config, self.state, self._committed)
            batches = self.replica.batches
        self._writer = Writer(
            self.state,
            batches,
            self._committed,
            batch_max=config.batch_max,
            history_events=config.history_events,
            retry_after_s=config.storage_retry_after_s,
            follower=None if self.replica is None else self.replica.follower,
        )
        self._tasks: list[asyncio.Task[None]] = []
        self._stats_dirty = asyncio.Event()
        self._claimable = ClaimSignal()
        self.waiting_claims = 0
        """Claims waiting for work right now (idle workers)."""

    # --- running -----------------------------------------------------------------------

    async def start(self) -> None:
        if self.replica is not None:
            await self.replica.start()
        writer = asyncio.create_task(self._writer.run_forever(), name="jobdesk-writer")
        writer.add_done_callback(self._writer_ended)
        self._tasks = [
            writer,
            asyncio.create_task(self._sweep_forever(), name="jobdesk-sweeper"),
            asyncio.create_task(self._stats_forever(), name="jobdesk-stats"),
            asyncio.create_task(self._overview_forever(), name="jobdesk-overview"),
            *(
                [asyncio.create_task(self._checkpoint_forever(), name="jobdesk-checkpoint")]
                if self.storage.checkpointer is not None
                else []
            ),
            asyncio.create_task(
                watch_tokens(
                    self.storage.tokens,
                    self.tokens,
                    self.sessions,
                    self.config.token_check_interval_s,
                ),
                name="jobdesk-tokens",
            ),
        ]

    def _writer_ended(self, task: asyncio.Task[None]) -> None:
        """The writer ended by an exception (a bug): no write can be served any more. A
        replica shuts down, so its supervisor starts it again from the database, as one
        that fell behind the feed does; one server says so loudly."""
        if task.cancelled() or (exc := task.exception()) is None:
            return
        log.critical("the writer stopped, no write can be served: %s", exc, exc_info=exc)
        if self.replica is not None:
            os.kill(os.getpid(), signal.SIGTERM)

    def closing(self) -> None:
        """The server is shutting down: answer waiting claims now, so none holds it up."""
        self._claimable.close()

    async def stop(self) -> None:
        self.closing()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._writer.drain()
        if self.replica is not None:
            await self.replica.stop()
        self.storage.close()

    @property
    def leads(self) -> bool:
        """Whether this server runs the singleton work: always on one machine; on
        PostgreSQL, the one replica holding the leader's lock."""
        return self.replica is None or self.replica.leader.is_leader

    async def caught_up(self, since: int | None) -> None:
        """Before a resume: a ``since`` beyond what this replica applied (the client was
        on a replica further on) waits, bounded, for this one to get there."""
        if since is not None and self.replica is not None and since > self.state.seq:
            await self.replica.follower.wait_for(since, self.config.resume_wait_s)

    def _committed(self, changes: list[Change]) -> None:
        self.hub.publish(changes)
        self.overview.committed(changes, self._clock().timestamp())
        self._stats_dirty.set()
        if wakes_claims(c.job for c in changes):
            self._claimable.notify()

    def _now(self) -> tuple[datetime, str]:
        moment = self._clock()
        return moment, format_timestamp(moment)

    # --- auth --------------------------------------------------------------------------

    async def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise ApiError(ErrorCode.AUTH_REQUIRED, "a bearer token is required")
        principal = self.tokens.cached(token)
        if principal is None:
            principal = await asyncio.to_thread(self.tokens.lookup, token)
        if principal is None:
            raise ApiError(ErrorCode.AUTH_REQUIRED, "invalid or expired token")
        return principal

    # --- reads -------------------------------------------------------------------------

    def get(self, job_id: str) -> Job:
        job = self.state.get(job_id)
        if job is None:
            raise not_found(job_id)
        return job

    async def find(self, job_id: str) -> Job:
        """A job live or in the history (read from the database, off the event loop)."""
        job = self.state.get(job_id)
        if job is not None:
            return job
        data = await asyncio.to_thread(self.storage.stored_job, job_id)
        if data is None:
            raise not_found(job_id)
        return _decode_job(data)

    async def history(self, query: HistoryQuery) -> tuple[list[bytes], str | None]:
        """A page of every job the database keeps (``db/history.py``), off the loop."""
        return await asyncio.to_thread(self.storage.history, query)

    def stats(self) -> JobStats:
        return self.state.stats()

    def queue_overview(self) -> QueueOverview:
        return self.overview.build(self.state.waiting, self._clock().timestamp())

    def stale_jobs(self) -> list[str]:
        return [
            r.job.id for r in self.state.jobs.values() if r.job.stale and r.job.status.is_active
        ]

    # --- writes ------------------------------------------------------------------------

    async def create(
        self,
        who: Principal,
        request: CreateJobRequest | StartJobRequest,
        *,
        running: bool,
        once: Once | None = None,
    ) -> Job:
        who.require_writer()
        _, now = self._now()
        job = self._new_job(who, request, running=running, now=now)
        return (await self._create_all([job], once, one=True))[0]

    async def create_many(
        self, who: Principal, requests: list[CreateJobRequest], once: Once | None = None
    ) -> list[Job]:
        """Queue many jobs in one writer command, so one transaction: all or none (the
        active-job limit counts them all before any is created)."""
        who.require_writer()
        _, now = self._now()
        # they share one createdAt, so the id decides their claim order: ids drawn, then
        # handed out sorted, are claimed in the order the jobs were given
        ids = sorted(new_job_id() for _ in requests)
        jobs = [
            self._new_job(who, request, running=False, now=now, job_id=job_id)
            for request, job_id in zip(requests, ids, strict=True)
        ]
        return await self._create_all(jobs, once, one=False)

    async def _create_all(self, jobs: list[Job], once: Once | None, *, one: bool) -> list[Job]:
        """``one``: the answer a retry gets is the job's (``POST /api/jobs``), not the list's."""
        limit = self.config.max_active_jobs

        def run(tx: Transaction) -> list[Job] | Replayed:
            if once is not None and (answered := tx.recall(once.key)) is not None:
                return Replayed(answered)
            if self.state.active_count() + self._pending_new(tx) + len(jobs) > limit:
                raise ApiError(
                    ErrorCode.TOO_MANY_ACTIVE_JOBS,
                    f"the server already holds {limit} active jobs; retry when some finish",
                )
            created = [tx.put(job) for job in jobs]
            if once is not None:
                answer = created[0] if one else created
                tx.remember(once.key, once.keep(answer, self._clock().timestamp()))
            return created

        return _answered(await self._writer.submit(run))

    @staticmethod
    def _new_job(
        who: Principal,
        request: CreateJobRequest | StartJobRequest,
        *,
        running: bool,
        now: str,
        job_id: str | None = None,
    ) -> Job:
        owner = who.name if (running or who.role is Role.WORKER) else ""
        queued = request if isinstance(request, CreateJobRequest) else None
        return Job(
            id=job_id or new_job_id(),
            name=request.name or request.job_type,
            job_type=request.job_type,
            status=Status.RUNNING if running else Status.QUEUED,
            message=request.message,
            metadata=request.metadata,
            priority=Priority(request.priority),
            owner=owner,
            attempts=1 if running else 0,
            history=[Attempt(number=1, worker=who.name, started_at=now)] if running else [],
            created_at=now,
            started_at=now if running else None,
            updated_at=now,
            payload=None if queued is None else queued.payload,
            max_attempts=1 if queued is None else queued.max_attempts,
            timeout=None if queued is None else queued.timeout,
        )

    @staticmethod
    def _pending_new(tx: Transaction) -> int:
        return sum(1 for c in tx.changes if c.job is not None and c.job.version == 1)

    async def update(
        self,
        who: Principal,
        job_id: str,
        change: Callable[[Job, str], Job],
        once: Once | None = None,
        *,
        attempt: int | None = None,
        renews: bool = False,
    ) -> Job:
        """Apply a worker's or operator's change to one job, checking who may make it.

        With an idempotency key already answered, ``Replayed`` carries the first answer
        and nothing changes: a retried request whose answer was lost does not act twice.
        ``attempt`` (the ``Jobdesk-Attempt`` header) fences off a worker whose attempt
        is over; ``renews`` extends the running attempt's lease.
        """
        who.require_writer()
        moment, now = self._now()
        return _answered(
            await self._writer.submit(
                lambda tx: self._update_in(
                    tx, who, job_id, change, once, attempt, renews, moment, now
                )
            )
        )

    @staticmethod
    def _update_in(
        tx: Transaction,
        who: Principal,
        job_id: str,
        change: Callable[[Job, str], Job],
        once: Once | None,
        attempt: int | None,
        renews: bool,
        moment: datetime,
        now: str,
    ) -> Job | Replayed:
        """One update inside a transaction; everything that may refuse it runs before
        ``tx.put``, so a refusal leaves the transaction as it was."""
        if once is not None and (answered := tx.recall(once.key)) is not None:
            return Replayed(answered)
        job = tx.get(job_id)
        if job is None:
            raise not_found(job_id)
        if attempt is not None:  # first: a stale attempt learns why, whoever owns it now
            lifecycle.check_attempt(job, attempt)
        who.check_may_update(job)
        updated = change(job, now)
        if who.role is Role.WORKER and not job.owner and updated.status is Status.RUNNING:
            updated = _with_owner(updated, who.name)
        if renews and (lease := lifecycle.current_lease(updated)) is not None:
            until = format_timestamp(moment + timedelta(seconds=lease))
            updated = lifecycle.renew(updated, now=now, lease_until=until)
        stored = tx.put(updated)
        if once is not None:
            tx.remember(once.key, once.keep(stored, moment.timestamp()))
        return stored

    def _one_of_many(
        self,
        tx: Transaction,
        who: Principal,
        job_id: str,
        change: Callable[[Job, str], Job],
        attempt: int | None,
        renews: bool,
        moment: datetime,
        now: str,
    ) -> Job | ApiError:
        """One item of a request that answers each on its own: the job as changed, or
        the refusal, which leaves the transaction as it was and refuses no other."""
        try:
            answer = self._update_in(tx, who, job_id, change, None, attempt, renews, moment, now)
        except ApiError as refused:
            return refused
        assert isinstance(answer, Job)  # no key of its own: never a replay
        return answer

    async def batch(
        self, who: Principal, items: list[BatchItem], once: Once | None = None
    ) -> list[Job | ApiError]:
        """Many jobs' reports (progress or log entries) in one writer command, so one
        transaction: applied in order, each answered on its own, acknowledged only once
        committed. A refused report changes nothing and refuses no other.

        With an idempotency key, a retried batch does not add its log entries again (each
        is marked done, see ``idempotency``); those reports are answered from the job as
        it is. Its progress is a level, so applying it again changes nothing but the
        version.
        """
        who.require_writer()
        moment, now = self._now()
        keep = self.config.max_messages_per_job
        worker = who.name
        done = Remembered(moment.timestamp(), 0, b"")

        def change_of(item: BatchItem) -> Callable[[Job, str], Job]:
            log = item.log
            fields = (item.progress, item.message, item.sub_operation, item.pipeline)
            report = (
                _progress_change(item, worker)
                if log is None or any(f is not None for f in fields)
                else None
            )

            def change(job: Job, at: str) -> Job:
                if report is not None:
                    job = report(job, at)
                if log is not None:
                    job = lifecycle.add_message(
                        job, now=at, level=log.level, text=log.text, keep=keep
                    )
                return job

            return change

        def run(tx: Transaction) -> list[Job | ApiError]:
            answers: list[Job | ApiError] = []
            for index, item in enumerate(items):
                mark = None if once is None or item.log is None else once.entry(index)
                if mark is not None and tx.recall(mark) is not None:
                    job = tx.get(item.job_id)
                    answers.append(not_found(item.job_id) if job is None else job)
                    continue
                change = change_of(item)
                answer = self._one_of_many(
                    tx, who, item.job_id, change, item.attempt, True, moment, now
                )
                answers.append(answer)
                if mark is not None and isinstance(answer, Job):
                    tx.remember(mark, done)
            return answers

        return await self._writer.submit(run)

    async def progress(
        self,
        who: Principal,
        job_id: str,
        request: ProgressRequest,
        once: Once | None = None,
        attempt: int | None = None,
    ) -> Job:
        return await self.update(
            who,
            job_id,
            _progress_change(request, who.name),
            once,
            attempt=attempt,
            renews=True,
        )

    async def message(
        self,
        who: Principal,
        job_id: str,
        request: MessageRequest,
        once: Once | None = None,
        attempt: int | None = None,
    ) -> Job:
        keep = self.config.max_messages_per_job
        return await self.update(
            who,
            job_id,
            lambda job, now: lifecycle.add_message(
                job, now=now, level=request.level, text=request.text, keep=keep
            ),
            once,
            attempt=attempt,
            renews=True,
        )

    async def heartbeat(self, who: Principal, job_id: str, attempt: int | None = None) -> Job:
        """The lease holder is alive though it has nothing to report: renew the lease."""

        def beat(job: Job, now: str) -> Job:
            lifecycle.check_attempt(job, job.attempts if attempt is None else attempt)
            return lifecycle.renew(job, now=now, lease_until=None)

        return await self.update(who, job_id, beat, attempt=attempt, renews=True)

    async def complete(
        self,
        who: Principal,
        job_id: str,
        request: CompleteRequest,
        once: Once | None = None,
        attempt: int | None = None,
    ) -> Job:
        return await self.update(
            who,
            job_id,
            lambda job, now: lifecycle.complete(
                job, now=now, result=request.result, message=request.message
            ),
            once,
            attempt=attempt,
        )

    async def complete_and_claim(
        self, who: Principal, request: CompleteAndClaimRequest, once: Once | None = None
    ) -> tuple[Job, list[Job]]:
        """Complete a claimed job and claim the next ones in one writer command, so one
        transaction: the completion is fenced by its attempt exactly as ``complete`` is,
        and a refused completion claims nothing. A retry with the same Idempotency-Key
        gets the first answer, the same claimed jobs included. Never waits for a job:
        when none is claimable the worker's next call is an ordinary (long-poll) claim."""

        def complete(tx: Transaction, moment: datetime, now: str) -> Job:
            change = _completing(request)
            done = self._update_in(
                tx, who, request.job_id, change, None, request.attempt, False, moment, now
            )
            assert isinstance(done, Job)  # no key of its own: never a replay
            return done

        return await self._complete_then_claim(who, request.claim, once, complete)

    async def complete_many(
        self, who: Principal, request: CompleteManyRequest, once: Once | None = None
    ) -> tuple[list[Job | ApiError], list[Job]]:
        """Complete several claimed jobs and claim the next ones in one writer command, so
        one transaction: each completion fenced by its attempt as ``complete`` is, and
        answered on its own (a refused one changes nothing and refuses no other). A retry
        with the same Idempotency-Key gets the first answer, claimed jobs included."""

        def complete(tx: Transaction, moment: datetime, now: str) -> list[Job | ApiError]:
            return [
                self._one_of_many(tx, who, c.job_id, _completing(c), c.attempt, False, moment, now)
                for c in request.completions
            ]

        return await self._complete_then_claim(who, request.claim, once, complete)

    async def _complete_then_claim(
        self,
        who: Principal,
        claim: ClaimRequest | None,
        once: Once | None,
        complete: Callable[[Transaction, datetime, str], T],
    ) -> tuple[T, list[Job]]:
        """``complete``, then ``claim`` in the same transaction (never waiting for a job),
        remembered under ``once`` with the jobs claimed."""
        who.require_writer()
        moment, now = self._now()
        types = [] if claim is None else list(dict.fromkeys(claim.job_types))
        worker = (claim.worker if claim is not None else None) or who.name

        def run(tx: Transaction) -> tuple[T, list[Job]] | Replayed:
            if once is not None and (answered := tx.recall(once.key)) is not None:
                return Replayed(answered)
            done = complete(tx, moment, now)
            claimed = [] if claim is None else self._claim_now(tx, who, worker, types, claim)
            if once is not None:
                tx.remember(once.key, once.keep((done, claimed), moment.timestamp()))
            return done, claimed

        if claim is not None:
            self.overview.claim_started(worker, types, moment.timestamp())
        try:
            result = await self._writer.submit(
                run,
                None if claim is None else frozenset(types),
                1 if claim is None else claim.max_jobs,
            )
        finally:
            if claim is not None:
                self.overview.claim_ended(worker, self._clock().timestamp())
        return _answered(result)

    async def fail(
        self,
        who: Principal,
        job_id: str,
        request: FailRequest,
        once: Once | None = None,
        attempt: int | None = None,
    ) -> Job:
        """The worker's own failure: retried after a backoff while attempts are left."""
        moment, _ = self._now()
        keep = self.config.max_messages_per_job
        return await self.update(
            who,
            job_id,
            lambda job, now: lifecycle.fail(
                job,
                now=now,
                error=request.error,
                keep=keep,
                retry_at=retry_at(self.config, moment, job.attempts),
            ),
            once,
            attempt=attempt,
        )

    async def force_fail(
        self, who: Principal, job_id: str, reason: str | None, once: Once | None = None
    ) -> Job:
        who.require_operator("force-fail a job")
        error = reason or f"Force-failed by operator {who.name}"
        keep = self.config.max_messages_per_job
        return await self.update(
            who,
            job_id,
            lambda job, now: lifecycle.fail(job, now=now, error=error, keep=keep),
            once,
        )

    async def cancel(
        self, who: Principal, job_id: str, reason: str | None, once: Once | None = None
    ) -> Job:
        who.require_operator("cancel a job")
        text = reason or f"Cancelled by operator {who.name}"
        keep = self.config.max_messages_per_job
        return await self.update(
            who,
            job_id,
            lambda job, now: lifecycle.cancel(job, now=now, reason=text, keep=keep),
            once,
        )

    async def retry(self, who: Principal, job_id: str, once: Once | None = None) -> Job:
        who.require_operator("retry a job")
        keep = self.config.max_messages_per_job
        return await self.update(
            who,
            job_id,
            lambda job, now: lifecycle.retry(job, now=now, operator=who.name, keep=keep),
            once,
        )

    async def claim(self, who: Principal, request: ClaimRequest) -> list[Job]:
        """Take the next jobs of the asked types (up to ``maxJobs``), waiting up to
        ``waitSeconds`` for at least one."""
        who.require_writer()
        types = list(dict.fromkeys(request.job_types))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + min(request.wait_seconds, self.config.max_claim_wait_s)
        worker = request.worker or who.name
        self.overview.claim_started(worker, types, self._clock().timestamp())
        try:
            return await self._claim_waiting(who, request, worker, types, deadline)
        finally:
            self.overview.claim_ended(worker, self._clock().timestamp())

    async def _claim_waiting(
        self, who: Principal, request: ClaimRequest, worker: str, types: list[str], deadline: float
    ) -> list[Job]:
        loop = asyncio.get_running_loop()
        while True:
            woken = self._claimable.current()
            jobs = await self._writer.submit(
                lambda tx: self._claim_now(tx, who, worker, types, request),
                frozenset(types),
                request.max_jobs,
            )
            remaining = deadline - loop.time()
            if jobs or remaining <= 0 or self._claimable.closed:
                return jobs
            due = seconds_until_due(self.state, self._clock().timestamp())
            self.waiting_claims += 1
            try:
                await wait_set(woken, min(remaining, due + 0.001))
            finally:
                self.waiting_claims -= 1

    def _claim_now(
        self, tx: Transaction, who: Principal, worker: str, types: list[str], request: ClaimRequest
    ) -> list[Job]:
        moment, now = self._now()
        until = format_timestamp(moment + timedelta(seconds=request.lease_seconds))
        claimed: list[Job] = []
        while len(claimed) < request.max_jobs:
            job = pick(tx, types, moment.timestamp())
            if job is None:
                break
            claimed.append(
                tx.put(
                    lifecycle.claim(
                        job,
                        now=now,
                        worker=worker,
                        owner=who.name,
                        lease=request.lease_seconds,
                        lease_until=until,
                    )
                )
            )
        return claimed

    async def emergency_cleanup(self, who: Principal) -> int:
        """Seed 001's emergency cleanup: every queued, running or retrying job fails."""
        who.require_operator("run the emergency cleanup")
        _, now = self._now()
        error = f"Failed by emergency cleanup (operator {who.name})"
        keep = self.config.max_messages_per_job

        def run(tx: Transaction) -> int:
            active = [j for j in tx.jobs() if j.status.is_active]
            for job in active:
                tx.put(lifecycle.fail(job, now=now, error=error, keep=keep))
            return len(active)

        return await self._writer.submit(run)

    # --- background rules --------------------------------------------------------------

    async def sweep(self) -> int:
        """Apply the timeout, lease, stale and retention rules (see ``sweep.py``): one
        bounded command after another, each its own transaction, so requests are served
        between them. Returns how many changes it made."""
        moment, _ = self._now()
        changes = 0
        for _ in range(MAX_SWEEP_COMMANDS):
            swept = await self._writer.submit(lambda tx: sweep(tx, self.config, moment))
            changes += swept.changes
            if not swept.more:
                break
        return changes

    async def _sweep_forever(self) -> None:
        while True:
            await asyncio.sleep(self.config.sweep_interval_s)
            if not self.leads:
                continue
            try:
                await self.sweep()
                await self._prune_history()
            except ApiError:
                continue  # a refused commit: the writer has logged why, once a minute
            except Exception:
                log.exception("sweep failed")

    async def _checkpoint_forever(self) -> None:
        """SQLite: copy the write-ahead log into the file, in a thread, every second."""
        checkpointer = self.storage.checkpointer
        assert checkpointer is not None
        while True:
            await asyncio.sleep(CHECKPOINT_INTERVAL_S)
            try:
                await asyncio.to_thread(checkpointer.run)
            except sqlite3.Error as exc:  # busy or full: the next one tries again
                log.debug("WAL checkpoint skipped: %s", exc)

    async def _prune_history(self) -> None:
        """Delete history older than ``history_age_s``, a bounded chunk per sweep."""
        cutoff = self._clock().timestamp() - self.config.history_age_s
        await asyncio.to_thread(self.storage.prune_history, cutoff)

    async def _overview_forever(self) -> None:
        """Sample the queue depth per type, and send the overview to its subscribers."""
        while True:
            self.overview.sample(self.state.waiting, self._clock().timestamp())
            if self.hub.overview_watchers:
                self.hub.publish_overview(self.queue_overview())
            await asyncio.sleep(self.config.overview_interval_s)

    async def _stats_forever(self) -> None:
        """Broadcast stats when they change, at most once per stats interval."""
        last: JobStats | None = None
        while True:
            await self._stats_dirty.wait()
            self._stats_dirty.clear()
            stats = self.state.stats()
            if stats != last:
                self.hub.publish_stats(stats)
                last = stats
            await asyncio.sleep(self.config.stats_interval_s)


def _answered(result: T | Replayed) -> T:
    """The command's result, or the answer given before raised for the API to send again."""
    if isinstance(result, Replayed):
        raise result
    return result


def _completing(request: CompleteAndClaimRequest | Completion) -> Callable[[Job, str], Job]:
    """The change that completes a claimed job with the request's result and message."""
    return lambda job, at: lifecycle.complete(
        job, now=at, result=request.result, message=request.message
    )


def _with_owner(job: Job, owner: str) -> Job:
    return msgspec.structs.replace(job, owner=owner)


def _progress_change(report: ProgressRequest | BatchItem, worker: str) -> Callable[[Job, str], Job]:
    """A progress report (seed 001's, alone or in a batch) as a change of its job: the
    wire's 0-1 fraction becomes the Job's percent."""
    percent = None if report.progress is None else report.progress * 100.0
    pipeline = None if report.pipeline is None else [(s.name, s.weight) for s in report.pipeline]

    def change(job: Job, now: str) -> Job:
        return lifecycle.report_progress(
            job,
            now=now,
            percent=percent,
            message=report.message,
            sub_operation=report.sub_operation,
            pipeline=pipeline,
            worker=worker,
        )

    return change
