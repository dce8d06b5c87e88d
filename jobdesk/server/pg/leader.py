"""One replica runs the singleton work (sweeps, lease expiry, retention, pruning).

The leader is whoever holds a session-level advisory lock on its own connection. The
lock goes with the session: when the leader dies, PostgreSQL ends its session (at once
for a killed process on a live machine; after TCP keepalives for a vanished one) and the
next replica to try takes it, within ``retry_s``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Final

from psycopg import AsyncConnection

log = logging.getLogger(__name__)

LEADER_LOCK: Final = 0x6A6F6265  # "jobe"


class Leader:
    def __init__(self, url: str, *, retry_s: float = 1.0) -> None:
        self._url = url
        self._retry_s = retry_s
        self.is_leader = False

    async def run_forever(self) -> None:
        while True:
            try:
                async with await AsyncConnection.connect(
                    self._url, autocommit=True, keepalives_idle=5, keepalives_interval=2
                ) as conn:
                    while True:
                        cursor = await conn.execute(
                            "SELECT pg_try_advisory_lock(%s)", (LEADER_LOCK,)
                        )
                        row = await cursor.fetchone()
                        if row is not None and row[0]:
                            break
                        await asyncio.sleep(self._retry_s)
                    self.is_leader = True
                    log.info("this replica leads: it runs the sweeps")
                    while True:  # holding the lock: make sure the session is still there
                        await asyncio.sleep(self._retry_s)
                        await conn.execute("SELECT 1")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self.is_leader:
                    log.warning("lost the leader's lock: %s", exc)
            self.is_leader = False
            await asyncio.sleep(self._retry_s)
