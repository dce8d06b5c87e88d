"""tests/postgres.py: ``pg_url`` gives a fresh database and drops it, and the session can
start a PostgreSQL of its own from the Debian binaries (what a fresh machine without
JOBDESK_TEST_POSTGRES does), whichever server this run uses."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import psycopg
import pytest

from tests.postgres import PostgresServer, start_postgres
from tests.system_packages import may_install


class Afterwards:
    """What the test leaves for :func:`afterwards` to check once ``pg_url`` is gone."""

    def __init__(self) -> None:
        self.dropped: list[tuple[PostgresServer, str]] = []
        self.left_open: list[psycopg.Connection[tuple[object, ...]]] = []


@pytest.fixture(autouse=True)
def afterwards() -> Iterator[Afterwards]:
    """Autouse, so set up before ``pg_url`` and torn down after it: each database the
    test names is gone by then, though the test left a connection to it open."""
    left = Afterwards()
    yield left
    try:
        for server, name in left.dropped:
            with psycopg.connect(server.admin_url) as admin:
                found = admin.execute("select 1 from pg_database where datname = %s", [name])
                assert found.fetchone() is None, f"database {name} was not dropped"
    finally:
        for conn in left.left_open:
            conn.close()


def test_pg_url_is_an_empty_database_of_its_own(
    postgres_server: PostgresServer, pg_url: str, afterwards: Afterwards
) -> None:
    parts = urlsplit(pg_url)
    name = parts.path.removeprefix("/")
    assert pg_url.startswith(f"postgresql://{postgres_server.user}@")
    assert parts.port == postgres_server.port
    assert name.startswith("jobdesk_test_")
    afterwards.dropped.append((postgres_server, name))

    conn = psycopg.connect(pg_url, autocommit=True)
    afterwards.left_open.append(conn)  # as a killed server process would leave it
    assert conn.info.dbname == name
    tables = conn.execute(
        "select count(*) from information_schema.tables where table_schema = 'public'"
    ).fetchone()
    assert tables == (0,)
    conn.execute("create table job (id integer primary key, name text not null)")
    conn.execute("insert into job values (1, 'b'), (2, 'B'), (3, 'a')")
    names = conn.execute("select name from job order by name").fetchall()
    assert names == [("B",), ("a",), ("b",)]  # C collation: byte order, as in SQLite


def _runs(pid: int, directory: Path) -> bool:
    """A process ``pid`` runs with ``directory`` in its command line (not a reused pid)."""
    try:
        return str(directory).encode() in Path(f"/proc/{pid}/cmdline").read_bytes()
    except FileNotFoundError:
        return False


@may_install
def test_the_session_can_start_and_stop_a_postgres_of_its_own() -> None:
    with start_postgres() as started:
        assert _runs(started.pid, started.directory)
        with psycopg.connect(started.url("postgres")) as conn:
            assert conn.execute("select 1").fetchone() == (1,)
            assert conn.execute("show fsync").fetchone() == ("off",)
            assert conn.execute("show max_connections").fetchone() == ("300",)
    assert not _runs(started.pid, started.directory)
    assert not started.directory.exists()
