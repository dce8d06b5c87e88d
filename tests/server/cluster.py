"""Server replicas on one PostgreSQL database, each in its own process, for tests that
kill one (kill -9) and start it again at the same address."""

from __future__ import annotations

import socket
from pathlib import Path

from tests.server.procserver import ServerProcess

LEADS = "this replica leads"
"""What a replica logs when it takes the leader's lock (jobdesk/server/pg/leader.py)."""


def free_port() -> int:
    """A port nobody listens on once the probe closes: a replica's, kept across restarts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


class Cluster:
    """``count`` replicas of one database; ``replicas[i]`` is the process now at URL ``i``."""

    def __init__(
        self, db_url: str, folder: Path, count: int, config: dict[str, object] | None = None
    ) -> None:
        self._db_path = folder / "unused.db"  # ServerConfig names a file; nothing opens it
        self._config = {"db_url": db_url, **(config or {})}
        self._ports = [free_port() for _ in range(count)]
        self.urls = [f"http://127.0.0.1:{port}" for port in self._ports]
        self.replicas: list[ServerProcess | None] = [None] * count
        try:
            for index in range(count):
                self.start(index)
        except BaseException:
            self.stop()
            raise

    def start(self, index: int) -> ServerProcess:
        """(Re)start replica ``index`` at its own address."""
        assert self.replicas[index] is None, "stop or kill it first"
        replica = ServerProcess(self._db_path, self._ports[index], self._config)
        self.replicas[index] = replica
        return replica

    def kill(self, index: int) -> None:
        """kill -9 replica ``index``: no shutdown code runs, its sessions just end."""
        replica = self.replicas[index]
        assert replica is not None
        replica.kill()
        self.replicas[index] = None

    def leader(self) -> int | None:
        """The index of the one running replica that said it leads (None: none has, or
        more than one has, as for a moment when a leader lost its session)."""
        leading = [
            index
            for index, replica in enumerate(self.replicas)
            if replica is not None and replica.logged(LEADS)
        ]
        return leading[0] if len(leading) == 1 else None

    def stop(self) -> None:
        for replica in self.replicas:
            if replica is not None:
                replica.stop()
        self.replicas = [None] * len(self.replicas)
