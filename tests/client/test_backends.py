"""The engine follows its backend's capabilities; kinds check their options."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from jobdesk.client.capabilities import JOBDESK, Can, Capabilities
from jobdesk.client.kinds import DEFAULT_KIND, KINDS, Field, Kind, kind_of
from jobdesk.core.connection import Transport
from tests.client.engine_harness import assert_consistent, running_engine
from tests.client.test_engine import post
from tests.conftest import make_tokens
from tests.server.procserver import ServerProcess


@pytest.fixture
async def served(tmp_path: Path) -> AsyncIterator[tuple[ServerProcess, dict[str, str]]]:
    tokens = make_tokens(tmp_path / "jobs.db")
    server = await asyncio.to_thread(ServerProcess, tmp_path / "jobs.db")
    yield server, tokens
    await asyncio.to_thread(server.stop)


def test_the_delivery_words_follow_push_and_replay() -> None:
    assert JOBDESK.delivery == "live push"
    assert Capabilities(Can.PUSH | Can.LIST).delivery == "live, no replay"
    assert Capabilities(Can.LIST).delivery == "polled"
    assert JOBDESK.lacks() == []
    assert Capabilities(Can.PUSH).lacks()[:2] == ["list jobs", "resume after a reconnect"]
    assert Can.CANCEL | Can.RETRY in JOBDESK
    assert Can.CANCEL not in Capabilities(Can.LIST)


def test_options_are_checked_by_name_and_defaults_filled() -> None:
    listing = Field("listUrl", "List", "/x")
    kind = Kind("k", "K", Capabilities(Can.LIST), KINDS[DEFAULT_KIND].make, (listing,))
    assert kind.check_options({}) == {"listUrl": "/x"}
    assert kind.check_options({"listUrl": "/y"}) == {"listUrl": "/y"}
    with pytest.raises(ValueError, match="k has no option colour \\(options: listUrl\\)"):
        kind.check_options({"colour": "red"})
    with pytest.raises(ValueError, match="unknown backend 'nope'"):
        kind_of("nope")


async def test_a_backend_without_push_is_polled_from_the_start(
    served: tuple[ServerProcess, dict[str, str]],
) -> None:
    """Poll-only: no socket is ever opened, the store still follows the server."""
    proc, tokens = served
    async with running_engine(proc.url, tokens["viewer"]) as run:
        # set before the engine's task first runs (nothing has awaited yet)
        run.engine.capabilities = Capabilities(Can.LIST, poll_every=0.2)
        await run.until(Transport.POLLING)
        for _ in range(3):
            await post(proc.url, tokens["worker"], "/api/admin/jobs/start")
        await assert_consistent(run, proc.url, tokens["viewer"])
        assert run.engine.handshakes == 0
        assert not run.seen(Transport.LIVE)
