"""Two servers watched at once: jobs keyed by (server, id), each kept equal to its server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from jobdesk.client.monitor import Monitor, ServerProfile
from jobdesk.core.connection import Transport
from jobdesk.core.store import JobStore
from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from tests.client.engine_harness import FAST
from tests.conftest import RunningServer, make_tokens
from tests.polling import eventually
from tests.stores import Database


@pytest.fixture
def second(tmp_path: Path) -> Iterator[RunningServer]:
    config = ServerConfig(db_path=tmp_path / "second.db", port=0)
    tokens = make_tokens(config.db_path)
    with EmbeddedServer(config) as embedded:
        database = Database("sqlite", config.db_path)
        yield RunningServer(
            embedded.url, embedded.ws_url, config.db_path, tokens, embedded, database
        )


async def test_two_servers_feed_one_store_apart(
    server: RunningServer, second: RunningServer
) -> None:
    store = JobStore()
    monitor = Monitor(store, FAST)
    try:
        a = monitor.add(ServerProfile("a", server.url, server.tokens["viewer"]))
        b = monitor.add(ServerProfile("b", second.url, second.tokens["viewer"]))
        with pytest.raises(ValueError, match="already watched"):
            monitor.add(ServerProfile("a", second.url, "x"))
        await eventually(
            lambda: a.state.value.transport is b.state.value.transport is Transport.LIVE
        )
        async with httpx.AsyncClient() as http:
            one = await http.post(
                f"{server.url}/api/jobs", json={}, headers=server.headers("worker")
            )
            two = await http.post(
                f"{second.url}/api/jobs", json={}, headers=second.headers("worker")
            )
        id_a, id_b = one.json()["jobId"], two.json()["jobId"]
        await eventually(lambda: len(store) == 2)
        assert {key for key, _ in store.items()} == {("a", id_a), ("b", id_b)}
        assert store.server("a").epoch != store.server("b").epoch
        await monitor.remove("a")
        assert {key for key, _ in store.items()} == {("b", id_b)}
    finally:
        await monitor.aclose()
    assert monitor.engines == {}
