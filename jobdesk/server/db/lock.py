"""One server per database file: an OS lock on ``<db>.lock``, held for the server's life.

A server keeps its committed state in memory and writes it back with every batch: two
servers on one file each wrote their own seq over the other's (an idle one's sweep put
back its stale seq, and every later write failed on events.seq). SQLite's locks cannot
tell, since each transaction is fine on its own, so a server takes this lock first.

The lock is the operating system's (``flock``; a byte lock through ``msvcrt`` on
Windows) and belongs to the open file, so it goes with the process: a server killed
with kill -9 leaves only the file, which the next server locks again. The file holds the
holder's PID, for the refusal to name. ``jobdesk token create`` takes no lock: it
writes one row in its own SQLite transaction while the server runs, as it should.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

_WINDOWS_LOCK_OFFSET = 1 << 20
"""Windows locks a byte range against reading too: lock a byte far past the PID, so the
refused server can still read who holds it."""


class DatabaseInUse(Exception):
    """Another server (or this process's embedded one) holds the database."""

    def __init__(self, db_path: Path, holder: str) -> None:
        super().__init__(
            f"the database {db_path} is in use by another jobdesk server ({holder}); "
            "stop that one first, or give this one another --db"
        )
        self.db_path = db_path
        self.holder = holder


def lock_path(db_path: Path) -> Path:
    return db_path.with_name(db_path.name + ".lock")


if sys.platform == "win32":
    import msvcrt

    def _try_lock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)

    def _unlock(fd: int) -> None:
        os.lseek(fd, _WINDOWS_LOCK_OFFSET, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


def _write_pid(fd: int, text: str) -> None:
    os.ftruncate(fd, 0)
    os.lseek(fd, 0, os.SEEK_SET)
    os.write(fd, text.encode())


def _holder(fd: int) -> str:
    os.lseek(fd, 0, os.SEEK_SET)
    pid = os.read(fd, 32).decode(errors="replace").strip()
    return f"pid {pid}" if pid.isdigit() else "pid unknown"


class ServerLock:
    """Held from ``acquire`` until ``release`` (or the process's end)."""

    def __init__(self, fd: int) -> None:
        self._fd: int | None = fd

    @classmethod
    def acquire(cls, db_path: Path) -> ServerLock:
        """Lock ``db_path`` for this process, or raise DatabaseInUse naming the holder."""
        path = lock_path(db_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            _try_lock(fd)
        except OSError:
            holder = _holder(fd)
            os.close(fd)
            raise DatabaseInUse(db_path, holder) from None
        _write_pid(fd, f"{os.getpid()}\n")
        return cls(fd)

    def release(self) -> None:
        """Free the file for the next server; a second call does nothing."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            _write_pid(fd, "")  # while still held: the next holder writes its own
            _unlock(fd)
        finally:
            os.close(fd)
