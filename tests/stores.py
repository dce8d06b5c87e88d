"""Both stores under one test: a SQLite file, or a PostgreSQL database of its own.

A test module opts in with ``pytestmark = pytest.mark.stores("sqlite", "postgres")``:
every test in it that uses the ``store`` fixture (``server``, ``database`` and
``server_config`` do) then runs once per store, ids ``[sqlite]`` and ``[postgres]``. A
test that is SQLite-only by nature (file locks, PRAGMAs, the .lock file,
``max_db_bytes``, the SQLite repair) says so with ``@pytest.mark.stores("sqlite")`` and a
comment why; a module without the mark runs on SQLite alone, as before.

What a test needs of its store goes through :class:`Database` and the helpers here, so
the same lines run on both: the ServerConfig, the location ``create_token`` takes, the
process config of a ``ServerProcess``, and SQL through the server's own engine (never
``sqlite3`` on the file).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, text

from jobdesk.server.batches import BatchScope
from jobdesk.server.config import ServerConfig
from jobdesk.server.service import JobService
from jobdesk.server.storage import Storage

STORES = ("sqlite", "postgres")


@dataclass(frozen=True)
class Database:
    """One test's database: ``url`` set on PostgreSQL, else the SQLite file ``path``."""

    store: str
    path: Path
    """The SQLite file (on PostgreSQL a ServerConfig still names one; nothing opens it)."""
    url: str | None = None

    @property
    def location(self) -> Path | str:
        """What ``create_token`` and ``Storage.open`` take."""
        return self.path if self.url is None else self.url

    def config(self, **fields: Any) -> ServerConfig:
        """A ServerConfig on this database and a free port, with ``fields`` changed."""
        fields.setdefault("port", 0)
        return ServerConfig(db_path=self.path, db_url=self.url, **fields)

    def process_config(self, **fields: Any) -> dict[str, object]:
        """The ``config`` of a ``ServerProcess(database.path, config=...)`` on it."""
        return fields if self.url is None else {"db_url": self.url, **fields}

    def open(self) -> Storage:
        return Storage.open(self.location)


def scalar(engine: Engine, sql: str) -> Any:
    """One value of a query, read through a server's own engine (either store)."""
    with engine.connect() as conn:
        return conn.execute(text(sql)).scalar_one()


def count_commits(service: JobService) -> Callable[[], int]:
    """Count the write transactions the server commits from now on; returns the count.

    On SQLite each batch is one ``Storage.commit``; on PostgreSQL one ``PgScope.commit``
    of the scope its ``PgBatches.begin`` opened (``Storage.commit`` is never called)."""
    commits = 0
    if service.replica is None:
        commit = service.storage.commit

        def counted(*args: Any, **kwargs: Any) -> None:
            nonlocal commits
            commits += 1
            commit(*args, **kwargs)

        service.storage.commit = counted  # type: ignore[method-assign]
    else:
        batches = service.replica.batches
        begin = batches.begin

        async def counting(*args: Any, **kwargs: Any) -> BatchScope:
            scope = await begin(*args, **kwargs)
            commit = scope.commit

            async def counted(*a: Any, **k: Any) -> int:
                nonlocal commits
                base = await commit(*a, **k)
                commits += 1
                return base

            scope.commit = counted  # type: ignore[method-assign]
            return scope

        batches.begin = counting  # type: ignore[method-assign]
    return lambda: commits
