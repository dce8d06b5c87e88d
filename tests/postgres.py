"""A real PostgreSQL for the tests: the server ``JOBDESK_TEST_POSTGRES`` names, or else
one the test session starts itself from the Debian binaries.

``JOBDESK_TEST_POSTGRES`` holds a libpq URL (``postgresql://root@127.0.0.1:5432/test``)
of a server on which its role may create databases; nothing else on that server is
touched. Without it each pytest-xdist worker that needs PostgreSQL starts its own, on the
first test that asks: Debian's ``postgresql`` package is installed if missing
(tests/system_packages.py), ``initdb`` makes a cluster in a temporary directory, and
``postgres`` listens on a free port of 127.0.0.1 with trust authentication, superuser
``postgres``. As root, both run as the ``postgres`` system user (initdb refuses root).

One server per worker, not one shared by the session: nothing to coordinate between
workers (who starts it, who stops it last, on which port), no worker's tests can exhaust
another's connections or take down its server, and each server stops with the worker
that started it. The price is one start per worker (a second or two; ``-n auto`` runs
one worker per core).

Fixtures (registered for all tests by tests/conftest.py):

- ``postgres_server`` (session): a :class:`PostgresServer`.
- ``pg_url`` (function): a new, empty database on it, as a URL string; dropped afterwards.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
import pytest
from psycopg import sql

from tests.system_packages import may_install, require

ENV = "JOBDESK_TEST_POSTGRES"
DEBIAN_ROOT = Path("/usr/lib/postgresql")
"""Debian installs each major version's programs in ``/usr/lib/postgresql/<major>/bin``."""
SUPERUSER = "postgres"
"""The superuser of a self-started cluster, and the system user it runs as under root."""
SETTINGS = {
    "listen_addresses": "127.0.0.1",
    # tests run several server replicas at once, each with a pool of a few connections
    "max_connections": "300",
    # a throw-away cluster: durability buys nothing and costs the tests' time
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
}
INITDB_TIMEOUT_S = 50.0
READY_WITHIN_S = 50.0
"""Deadlines, not measures; together under the suite's 120 s per test, of which the
first test that asks for PostgreSQL spends some on the start."""
STOP_WITHIN_S = 60.0
PORT_ATTEMPTS = 3
"""A free port can be taken by someone else between finding it and postgres binding it."""


@dataclass(frozen=True)
class PostgresServer:
    """A PostgreSQL server the tests may create and drop databases on."""

    host: str
    """A host name or address, or (if ``JOBDESK_TEST_POSTGRES`` says so) a socket directory."""
    port: int
    user: str
    admin_url: str
    """A URL for an existing database, for ``CREATE DATABASE`` and ``DROP DATABASE``."""
    password: str | None = field(default=None, repr=False)
    options: dict[str, str] = field(default_factory=dict)
    """Further libpq parameters of ``JOBDESK_TEST_POSTGRES`` (sslmode, ...), kept in URLs."""

    def url(self, dbname: str) -> str:
        """The libpq URL of database ``dbname`` on this server."""
        auth = quote(self.user, safe="")
        if self.password:
            auth += ":" + quote(self.password, safe="")
        if self.host.startswith("/"):
            host = quote(self.host, safe="")
        elif ":" in self.host:
            host = f"[{self.host}]"
        else:
            host = self.host
        query = f"?{urlencode(self.options)}" if self.options else ""
        return f"postgresql://{auth}@{host}:{self.port}/{quote(dbname, safe='')}{query}"


@dataclass(frozen=True, kw_only=True)
class StartedPostgres(PostgresServer):
    """A server :func:`start_postgres` started: its postmaster's pid and its directory."""

    pid: int
    directory: Path
    """Holds the cluster (``data``), the socket (``socket``) and the log (``postgres.log``)."""


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """The server of ``JOBDESK_TEST_POSTGRES`` if set, else this worker's own, started on
    first use and stopped at the end of the session."""
    given = os.environ.get(ENV)
    if given:
        yield given_server(given)
        return
    with start_postgres() as started:
        yield started


@pytest.fixture
def pg_url(postgres_server: PostgresServer) -> Iterator[str]:
    """A new, empty database with a unique name, as ``postgresql://USER@HOST:PORT/NAME``;
    dropped afterwards even if connections to it are left."""
    with fresh_database(postgres_server) as url:
        yield url


@contextlib.contextmanager
def fresh_database(server: PostgresServer) -> Iterator[str]:
    """Create an empty database (UTF-8, ``C`` collation: byte order, like SQLite's
    default), yield its URL, then drop it ``WITH (FORCE)``: a test that killed a server
    process may leave its connections open."""
    name = f"jobdesk_test_{os.getpid()}_{secrets.token_hex(6)}"
    with psycopg.connect(server.admin_url, autocommit=True) as admin:
        admin.execute(
            sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8' LOCALE 'C'").format(
                sql.Identifier(name)
            )
        )
    try:
        yield server.url(name)
    finally:
        with psycopg.connect(server.admin_url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


def given_server(url: str) -> PostgresServer:
    """The server at ``url``, as libpq resolves it (defaults and PG* variables included);
    fails the test if it does not answer."""
    try:
        with psycopg.connect(url, connect_timeout=10) as conn:
            info = conn.info
            host, port, user, password = info.host, info.port, info.user, info.password
    except psycopg.Error as error:
        pytest.fail(f"{ENV}: cannot connect to {_without_password(url)}: {error}", pytrace=False)
    named = psycopg.conninfo.conninfo_to_dict(url)
    options = {
        key: str(value)
        for key, value in named.items()
        if key not in {"host", "hostaddr", "port", "user", "password", "dbname"}
        and value is not None
    }
    return PostgresServer(host, port, user, url, password or None, options)


def _without_password(url: str) -> str:
    named = psycopg.conninfo.conninfo_to_dict(url)
    if named.pop("password", None) is None:
        return url
    return psycopg.conninfo.make_conninfo(**{k: str(v) for k, v in named.items()})


def debian_bindir() -> Path | None:
    """The newest PostgreSQL installed from Debian's packages, or None."""
    found = [p.parent for p in DEBIAN_ROOT.glob("*/bin/postgres") if (p.parent / "initdb").exists()]
    return max(found, key=lambda bindir: _major(bindir.parent.name), default=None)


def _major(name: str) -> tuple[int, ...]:
    return tuple(int(part) for part in name.split(".") if part.isdigit())


@contextlib.contextmanager
def start_postgres() -> Iterator[StartedPostgres]:
    """Start a PostgreSQL of its own in a new temporary directory, from the Debian
    binaries (installing them if missing); stop it and delete the directory on the way out.

    The postmaster is started through ``setpriv --pdeathsig``, so it also shuts down if
    the process that started it dies without stopping it (a killed xdist worker)."""
    bindir = debian_bindir()
    if bindir is None:
        require(packages=["postgresql"])
        bindir = debian_bindir()
        if bindir is None:
            pytest.fail(f"no PostgreSQL in {DEBIAN_ROOT} after installing postgresql")
    directory = Path(tempfile.mkdtemp(prefix="jobdesk-pg-"))
    try:
        as_user = _unprivileged(directory)
        # the postgres user's own environment: nothing of ours (PG*, a HOME it cannot read)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "LC_ALL": "C",
            "HOME": str(directory),
        }
        data, sockets = directory / "data", directory / "socket"
        _run(
            [*as_user, "--", str(bindir / "initdb"), "-D", str(data), "-U", SUPERUSER,
             "--auth=trust", "--no-locale", "--encoding=UTF8", "--no-sync", "--no-instructions"],
            env, directory,
        )  # fmt: skip
        sockets.mkdir()
        shutil.chown(sockets, *_owner(directory))
        for attempt in range(1, PORT_ATTEMPTS + 1):
            port = _free_port()
            log = directory / "postgres.log"
            with log.open("wb") as out:  # this attempt's log only
                process = subprocess.Popen(
                    [*as_user, "--pdeathsig=INT", "--", str(bindir / "postgres"),
                     "-D", str(data), "-p", str(port), "-k", str(sockets),
                     *(arg for key, value in SETTINGS.items() for arg in ("-c", f"{key}={value}"))],
                    stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                    env=env, cwd=directory, start_new_session=True,
                )  # fmt: skip
            try:
                started = StartedPostgres(
                    host="127.0.0.1",
                    port=port,
                    user=SUPERUSER,
                    admin_url=f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres",
                    pid=process.pid,
                    directory=directory,
                )
                if _wait_until_ready(process, started.admin_url, log):
                    yield started
                    return
                if attempt == PORT_ATTEMPTS:
                    raise RuntimeError(f"no free port for postgres in {PORT_ATTEMPTS} attempts")
            finally:
                _stop(process)
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def _unprivileged(directory: Path) -> list[str]:
    """setpriv's arguments that run a program as the postgres system user when we are
    root (initdb and postgres refuse root), as ourselves otherwise; ``directory`` is
    handed to that user."""
    if os.geteuid() != 0:
        return ["setpriv"]
    try:
        user = pwd.getpwnam(SUPERUSER)
    except KeyError:
        pytest.fail(f"no {SUPERUSER!r} system user: Debian's postgresql-common creates it")
    os.chown(directory, user.pw_uid, user.pw_gid)
    return ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups"]


def _owner(path: Path) -> tuple[int, int]:
    status = path.stat()
    return status.st_uid, status.st_gid


def _run(command: list[str], env: dict[str, str], cwd: Path) -> None:
    done = subprocess.run(
        command, env=env, cwd=cwd, capture_output=True, text=True, check=False,
        timeout=INITDB_TIMEOUT_S,
    )  # fmt: skip
    if done.returncode != 0:
        raise RuntimeError(
            f"{' '.join(command)} exited {done.returncode}:\n{done.stderr or done.stdout}"
        )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(process: subprocess.Popen[bytes], url: str, log: Path) -> bool:
    """Poll until the server answers a query: True; False if its port was taken."""
    deadline = time.monotonic() + READY_WITHIN_S
    while True:
        if process.poll() is not None:
            said = log.read_text(errors="replace")
            if "Address already in use" in said:
                return False
            raise RuntimeError(f"postgres exited {process.returncode}:\n{_tail(said)}")
        try:
            with psycopg.connect(url, connect_timeout=5) as conn:
                conn.execute("select 1")
            return True
        except psycopg.OperationalError:
            pass  # not listening yet, or still starting up
        if time.monotonic() > deadline:
            raise RuntimeError(
                f"postgres did not accept connections within {READY_WITHIN_S:g} s:\n"
                + _tail(log.read_text(errors="replace"))
            )
        time.sleep(0.05)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Fast shutdown (SIGINT: ends the sessions, then a clean stop), then harder ones."""
    for how, within in ((signal.SIGINT, STOP_WITHIN_S), (signal.SIGQUIT, 10.0)):
        if process.poll() is not None:
            return
        process.send_signal(how)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(within)
            return
    process.kill()
    process.wait()


def _tail(text: str, lines: int = 20) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Where this worker would install PostgreSQL first (no JOBDESK_TEST_POSTGRES, no
    Debian binaries), the tests using it get the long timeout of tests that may install."""
    if os.environ.get(ENV) or debian_bindir() is not None:
        return
    for item in items:
        uses = getattr(item, "fixturenames", ())
        if "postgres_server" in uses and item.get_closest_marker("timeout") is None:
            item.add_marker(may_install)
