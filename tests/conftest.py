"""Shared fixtures: a real jobdesk server on a free loopback port, with one token per role."""

from __future__ import annotations

import os

# Qt tests run without a screen; a real desktop is tests/gui/desktop.py's job.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from jobdesk.server.storage import Storage
from jobdesk.server.tokens import issue_token, parse_role
from tests.stores import Database

pytest_plugins = ["tests.postgres"]  # postgres_server, pg_url


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "stores(*names): run the test once per store named (sqlite, postgres); see tests/stores.py",
    )


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``@pytest.mark.stores(...)`` (the closest one: a test's own before its module's)
    runs a test that uses the ``store`` fixture once per store it names."""
    marker = metafunc.definition.get_closest_marker("stores")
    if marker is not None and "store" in metafunc.fixturenames:
        metafunc.parametrize("store", marker.args)


@dataclass(frozen=True)
class RunningServer:
    url: str
    ws_url: str
    db_path: Path
    tokens: dict[str, str]
    embedded: EmbeddedServer
    database: Database

    def headers(self, who: str = "operator") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


TOKEN_NAMES = {
    "operator": ("operator", "ops"),
    "worker": ("worker", "worker-1"),
    "worker2": ("worker", "worker-2"),
    "viewer": ("viewer", "viewer-1"),
}


def make_tokens(db: Path | str) -> dict[str, str]:
    """One token per role in a database: a SQLite file, or a PostgreSQL URL (opened once:
    each open of a PostgreSQL database checks its migrations under a lock)."""
    with closing(Storage.open(db)) as storage:
        return {
            key: issue_token(storage, parse_role(role), name)
            for key, (role, name) in TOKEN_NAMES.items()
        }


@pytest.fixture(autouse=True)
def _qt_garbage_freed_on_the_main_thread(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a Qt test, collect its cycles here: left to the collector, a Qt object could
    be freed later in another test's server or executor thread, deleting it from the
    wrong thread while the main thread processes events (a segfault under load). The
    monitor itself collects on the GUI thread only (``jobdesk.gui.main_thread_gc``)."""
    yield
    if {"qtbot", "qapp"} & set(request.fixturenames) or "gui" in request.node.path.parts:
        gc.collect()


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """ServerConfig fields to change: override in a module, or parametrize in one test
    (``@pytest.mark.parametrize("config_overrides", [{"timeout_s": 0.3}])``)."""
    return {}


@pytest.fixture
def store() -> str:
    """Which store the test's database is: SQLite unless ``@pytest.mark.stores`` says
    otherwise (tests/stores.py)."""
    return "sqlite"


@pytest.fixture
def database(store: str, tmp_path: Path, request: pytest.FixtureRequest) -> Database:
    """A fresh database of the test's store: a SQLite file in ``tmp_path``, or a new
    PostgreSQL database (``pg_url``, dropped after the test)."""
    path = tmp_path / "jobdesk.db"
    if store == "sqlite":
        return Database(store, path)
    assert store == "postgres", store
    url: str = request.getfixturevalue("pg_url")
    return Database(store, path, url)


@pytest.fixture
def server_config(database: Database, config_overrides: dict[str, Any]) -> ServerConfig:
    """A fresh database and a free port, with the overrides applied."""
    return database.config(**config_overrides)


@pytest.fixture
def server(server_config: ServerConfig, database: Database) -> Iterator[RunningServer]:
    tokens = make_tokens(database.location)
    with EmbeddedServer(server_config) as embedded:
        yield RunningServer(
            url=embedded.url,
            ws_url=embedded.ws_url,
            db_path=server_config.db_path,
            tokens=tokens,
            embedded=embedded,
            database=database,
        )


@pytest.fixture
def worker(server: RunningServer) -> Iterator[httpx.Client]:
    """An HTTP client with the worker-1 token."""
    with httpx.Client(base_url=server.url, headers=server.headers("worker")) as client:
        yield client


@pytest.fixture
def operator(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.headers("operator")) as client:
        yield client
