"""Applying what the other replicas committed, in seq order, with no gap.

A NOTIFY (``epoch:seq``) on the LISTEN connection says the feed moved; the query
connection then reads ``seq > applied ORDER BY seq``. Notifications are a hint only:
they carry no data, are lost while the listener is disconnected and are never replayed,
so the follower also polls every ``poll_s`` and reads at once after every reconnect.
Because replicas take their seqs from a counter row locked until they commit, the rows
visible after ``applied`` are always a gap-free run.

Each event is applied with its job's row as it is now: when the row has moved on (a
later version), the event is passed over and the later one applies it, the compaction a
replay does anyway. A replica so far behind that the history no longer holds what it
missed cannot follow; it says so and stops (``FellBehind``), and its supervisor restarts
it from the database.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Final

import msgspec
from psycopg import AsyncConnection
from psycopg.rows import TupleRow

from jobdesk.core.waits import wait_set
from jobdesk.protocol import Job
from jobdesk.server.changes import Change
from jobdesk.server.idempotency import Remembered
from jobdesk.server.pg.batch import CHANNEL
from jobdesk.server.state import ServerState

log = logging.getLogger(__name__)
_decode_job = msgspec.json.Decoder(Job).decode

PAGE: Final = 2000
"""Events read per query while catching up."""

_READ = (
    "SELECT e.seq, e.job_id, e.kind, e.version, j.version, j.data "
    "FROM events e LEFT JOIN jobs j ON j.id = e.job_id "
    "WHERE e.seq > %s AND e.seq <= %s ORDER BY e.seq LIMIT %s"
)
_HEAD = (
    "SELECT CAST(a.value AS BIGINT), CAST(b.value AS BIGINT) FROM meta a, meta b "
    "WHERE a.key = 'seq' AND b.key = 'history_floor'"
)
_ANSWERS = "SELECT key, status, body, created_s FROM idempotency WHERE key = ANY(%s)"


class FellBehind(Exception):
    """The changes this replica has not applied are no longer in the history."""


class PgFollower:
    def __init__(
        self,
        url: str,
        state: ServerState,
        on_applied: Callable[[list[Change]], None],
        *,
        poll_s: float = 0.25,
    ) -> None:
        self._url = url
        self._state = state
        self._on_applied = on_applied
        self._poll_s = poll_s
        self.applying = asyncio.Lock()
        self._hint = asyncio.Event()
        self._moved = asyncio.Event()
        """Set (and replaced) whenever the applied seq moves: ``wait_for`` waits on it."""
        self._query: AsyncConnection[TupleRow] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self.stopped = asyncio.Event()
        """Set when the follower gave up (``FellBehind``): the replica must restart."""

    async def start(self) -> None:
        self._query = await AsyncConnection.connect(self._url, autocommit=True)
        self._tasks = [
            asyncio.create_task(self._listen_forever(), name="jobdesk-feed-listen"),
            asyncio.create_task(self._follow_forever(), name="jobdesk-feed-follow"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._query is not None:
            await self._query.close()

    def applied(self) -> None:
        """The writer installed a batch of its own: waiters may look again."""
        self._wake_waiters()

    # --- the writer's calls (``applying`` held) -------------------------------------

    async def catch_up_to(self, seq: int) -> None:
        await self._apply_until(seq)

    async def catch_up(self, keys: Sequence[str]) -> None:
        await self._apply_until(None)
        if keys:
            conn = await self._connection()
            rows = await (await conn.execute(_ANSWERS, (list(keys),))).fetchall()
            for key, status, body, created_s in rows:
                self._state.answers.add(key, Remembered(created_s, status, bytes(body)))

    # --- waiting for a seq (a resume on this replica) ----------------------------------

    async def wait_for(self, seq: int, timeout_s: float) -> bool:
        """Wait until ``seq`` is applied here (True) or ``timeout_s`` passes (False)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while self._state.seq < seq:
            remaining = deadline - loop.time()
            if remaining <= 0:
                return False
            self._hint.set()
            moved = self._moved
            await wait_set(moved, min(remaining, self._poll_s))
        return True

    # --- reading the feed -------------------------------------------------------------

    async def _connection(self) -> AsyncConnection[TupleRow]:
        if self._query is None or self._query.closed:
            self._query = await AsyncConnection.connect(self._url, autocommit=True)
        return self._query

    async def _apply_until(self, until: int | None) -> None:
        conn = await self._connection()
        head_row = await (await conn.execute(_HEAD)).fetchone()
        assert head_row is not None
        head, floor = int(head_row[0]), int(head_row[1])
        target = head if until is None else min(until, head)
        state = self._state
        if state.seq < floor:
            raise FellBehind(
                f"this replica applied up to seq {state.seq}, but the history now starts "
                f"after {floor}: restart it to load the live set again"
            )
        while state.seq < target:
            rows = await (await conn.execute(_READ, (state.seq, target, PAGE))).fetchall()
            if not rows:
                raise RuntimeError(f"no events in ({state.seq}, {target}]: the feed has a gap")
            changes: list[Change] = []
            for seq, job_id, kind, version, row_version, data in rows:
                if kind == "removed":
                    changes.append(Change(seq, job_id, None))
                elif row_version == version and data is not None:
                    body = bytes(data)
                    changes.append(Change(seq, job_id, _decode_job(body), body))
            last = int(rows[-1][0])
            state.install(changes, last, floor if floor > state.history_floor else None)
            if changes:
                self._on_applied(changes)
            self._wake_waiters()

    def _wake_waiters(self) -> None:
        self._moved.set()
        self._moved = asyncio.Event()

    async def _follow_forever(self) -> None:
        while True:
            await wait_set(self._hint, self._poll_s)
            self._hint.clear()
            try:
                async with self.applying:
                    await self._apply_until(None)
            except FellBehind as exc:
                log.critical("%s", exc)
                self.stopped.set()
                return
            except Exception as exc:  # the database away: the next poll tries again
                log.warning("reading the change feed failed: %s", exc)
                self._query = None
                await asyncio.sleep(self._poll_s)

    async def _listen_forever(self) -> None:
        while True:
            try:
                async with await AsyncConnection.connect(self._url, autocommit=True) as conn:
                    await conn.execute(f"LISTEN {CHANNEL}")
                    self._hint.set()  # what was sent while no one listened is lost: read
                    async for _ in conn.notifies():
                        self._hint.set()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("the change feed's LISTEN connection failed: %s", exc)
            await asyncio.sleep(1.0)
