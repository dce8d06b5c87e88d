"""Shared fixtures: a real jobdesk server on a free loopback port, with one token per role."""

from __future__ import annotations

import os

# Qt tests run without a screen; a real desktop is tests/gui/desktop.py's job.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import gc
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from jobdesk.server.tokens import create_token

pytest_plugins = ["tests.postgres"]  # postgres_server, pg_url


@dataclass(frozen=True)
class RunningServer:
    url: str
    ws_url: str
    db_path: Path
    tokens: dict[str, str]
    embedded: EmbeddedServer

    def headers(self, who: str = "operator") -> dict[str, str]:
        return {"Authorization": f"Bearer {self.tokens[who]}"}


TOKEN_NAMES = {
    "operator": ("operator", "ops"),
    "worker": ("worker", "worker-1"),
    "worker2": ("worker", "worker-2"),
    "viewer": ("viewer", "viewer-1"),
}


def make_tokens(db_path: Path) -> dict[str, str]:
    return {key: create_token(db_path, role, name) for key, (role, name) in TOKEN_NAMES.items()}


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
def server_config(tmp_path: Path, config_overrides: dict[str, Any]) -> ServerConfig:
    """A fresh database file and a free port, with the overrides applied."""
    return ServerConfig(db_path=tmp_path / "jobdesk.db", port=0, **config_overrides)


@pytest.fixture
def server(server_config: ServerConfig) -> Iterator[RunningServer]:
    tokens = make_tokens(server_config.db_path)
    with EmbeddedServer(server_config) as embedded:
        yield RunningServer(
            url=embedded.url,
            ws_url=embedded.ws_url,
            db_path=server_config.db_path,
            tokens=tokens,
            embedded=embedded,
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
