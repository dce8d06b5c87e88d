"""WAL checkpoints off the event loop, for the server's SQLite file.

SQLite checkpoints by itself when a commit finds the write-ahead log over 1,000 pages:
that commit then copies the log into the database file and syncs it, on the writer's
thread, which is the event loop. With 200-change sweep slices on a 2 GB file this was
29 ms a commit and up to half a second for one (``bench scale``). The server turns the
automatic checkpoint off (``open_engine(..., checkpoint_by_hand=True)``) and runs a
PASSIVE checkpoint from a connection of its own in a thread every second instead: it
never waits for a writer or a reader, and a commit only appends to the log. When the
last connection closes, SQLite checkpoints the rest.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Final

INTERVAL_S: Final = 1.0


class Checkpointer:
    """One connection, used by one thread at a time (``asyncio.to_thread`` calls in turn).

    A lock keeps ``close`` from closing the connection under a checkpoint still running
    in its thread (cancelling the task that started it does not stop the thread)."""

    def __init__(self, db_path: Path) -> None:
        self._conn = sqlite3.connect(db_path, check_same_thread=False, isolation_level=None)
        self._conn.execute("PRAGMA busy_timeout=1000")
        self._lock = threading.Lock()
        self._closed = False

    def run(self) -> int:
        """Copy what it can of the log into the database; returns the log's pages left
        (0 once closed: nothing is run then)."""
        with self._lock:
            if self._closed:
                return 0
            row = self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        busy, log_pages, copied = row
        return int(log_pages) if busy else max(0, int(log_pages) - int(copied))

    def close(self) -> None:
        with self._lock:
            self._closed = True
            self._conn.close()
