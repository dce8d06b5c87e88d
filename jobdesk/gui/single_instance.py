"""One monitor per user: a second launch brings the running window forward.

Two monitors on the same saved servers would double every notification and fight over
the window layout. The first instance holds a QLockFile and listens on a QLocalServer
in the user's runtime folder; a later one finds the lock taken, writes ``show`` to that
server and exits. The lock decides who runs (a crashed holder's lock is stale: Qt sees
its pid is gone and takes it over); the socket only carries the request, so a socket
left by a crash is simply replaced by whoever holds the lock.
"""

from __future__ import annotations

import getpass
import logging
import os
import stat
import tempfile
import time
from pathlib import Path

from PySide6.QtCore import QLockFile, QObject, QThread, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from jobdesk import APP_ID

log = logging.getLogger(__name__)
SHOW = b"show"
_MAX_LINE = 256


def user_tag() -> str:
    """Who owns the instance: two users on one machine each get their own."""
    return str(os.getuid()) if hasattr(os, "getuid") else getpass.getuser()


def runtime_dir() -> Path:
    """``$XDG_RUNTIME_DIR`` (private to the user, emptied at logout), else a private
    folder in the temporary directory; OSError when that folder is not ours alone."""
    configured = os.environ.get("XDG_RUNTIME_DIR", "")
    if os.path.isabs(configured) and _private(Path(configured)):
        return Path(configured)
    folder = Path(tempfile.gettempdir()) / f"jobdesk-{user_tag()}"
    folder.mkdir(mode=0o700, exist_ok=True)
    if not _private(folder):
        raise PermissionError(f"{folder} is not private to this user")
    return folder


def _private(folder: Path) -> bool:
    try:
        info = folder.stat()
    except OSError:
        return False
    if not hasattr(os, "getuid"):
        return stat.S_ISDIR(info.st_mode)
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


class SingleInstance(QObject):
    """``key`` tells independent instances apart (tests); ``directory``: where the lock
    and the socket go (default: ``runtime_dir()``)."""

    show_requested = Signal()
    """A second launch asked this instance to show its window."""

    def __init__(
        self, key: str = "", directory: Path | None = None, parent: QObject | None = None
    ) -> None:
        super().__init__(parent)
        self.name = f"{APP_ID}-{user_tag()}" + (f"-{key}" if key else "")
        self.directory = directory
        self.socket_name = ""
        self._lock: QLockFile | None = None
        self._server: QLocalServer | None = None
        self._clients: list[QLocalSocket] = []

    def _paths(self) -> tuple[str, str]:
        folder = self.directory or runtime_dir()
        socket = str(folder / f"{self.name}.socket") if os.name == "posix" else self.name
        return str(folder / f"{self.name}.lock"), socket

    def acquire(self) -> bool:
        """True when this is the instance to run (now listening for ``show``); False
        when another one holds the lock. A lock that cannot be made at all (no private
        folder, a read-only one) lets this one run unguarded rather than not at all."""
        try:
            lock_path, self.socket_name = self._paths()
        except OSError as exc:
            log.warning("running without the single-instance lock: %s", exc)
            return True
        self._lock = QLockFile(lock_path)
        self._lock.setStaleLockTime(0)  # held for hours: only a dead pid makes it stale
        if not self._lock.tryLock(0):
            if self._lock.error() == QLockFile.LockError.LockFailedError:
                return False
            log.warning("running without the single-instance lock %s", lock_path)
            return True
        QLocalServer.removeServer(self.socket_name)  # a crashed holder's socket
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        if not self._server.listen(self.socket_name):
            log.warning("a second launch cannot reach this one: %s", self._server.errorString())
        return True

    def holder_pid(self) -> int | None:
        if self._lock is None:
            return None
        pid, _host, _app = self._lock.getLockInfo()
        return pid or None

    def request_show(self, within: float = 5.0) -> bool:
        """Ask the running instance to show its window. Blocking, for use before any event
        loop runs; retries while the holder is between taking the lock and listening."""
        deadline = time.monotonic() + within
        while True:
            socket = QLocalSocket()
            socket.connectToServer(self.socket_name)
            if socket.waitForConnected(_ms_until(deadline)):
                break
            if time.monotonic() >= deadline:
                return False
            QThread.msleep(50)
        socket.write(SHOW + b"\n")
        written = socket.waitForBytesWritten(_ms_until(deadline))
        socket.disconnectFromServer()
        if socket.state() != QLocalSocket.LocalSocketState.UnconnectedState:
            socket.waitForDisconnected(_ms_until(deadline))
        return written

    def release(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
            self._clients.clear()
        if self._lock is not None and self._lock.isLocked():
            self._lock.unlock()

    def _accept(self) -> None:
        """Read each connection's lines; connections already closed are dropped here,
        not with deleteLater, which crashes PySide when the server goes first."""
        assert self._server is not None
        unconnected = QLocalSocket.LocalSocketState.UnconnectedState
        for closed in [c for c in self._clients if c.state() == unconnected]:
            self._clients.remove(closed)
            closed.setParent(None)  # ours now: freed with the last reference
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._clients.append(socket)
            socket.readyRead.connect(self._ready_read)
            self._read(socket)  # what arrived before the connection was accepted

    def _ready_read(self) -> None:
        socket = self.sender()
        if isinstance(socket, QLocalSocket):
            self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        while socket.canReadLine():
            if bytes(socket.readLine(_MAX_LINE).data()).strip() == SHOW:
                self.show_requested.emit()
        if socket.bytesAvailable() >= _MAX_LINE:  # not a jobdesk talking
            socket.abort()


def _ms_until(deadline: float) -> int:
    return max(0, int((deadline - time.monotonic()) * 1000))
