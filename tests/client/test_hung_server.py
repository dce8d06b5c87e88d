"""A server that stops answering (SIGSTOP: it still accepts connections, then says
nothing) is shown unreachable, with the age of its data, whatever the transport is
doing; a reconnect that hangs in its handshake does not make it "connecting" again."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from jobdesk.cli.watch import follow, server_name
from jobdesk.core.connection import ConnectionState, Transport
from tests.client.engine_harness import FAST, running_engine
from tests.conftest import make_tokens
from tests.polling import eventually, eventually_async
from tests.server.procserver import ServerProcess

QUICK = dataclasses.replace(
    FAST, probe_interval=0.3, unreachable_after=2.0, silence_timeout=3.0, open_timeout=2.0
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[ServerProcess, dict[str, str]]]:
    tokens = make_tokens(tmp_path / "jobs.db")
    process = ServerProcess(tmp_path / "jobs.db")
    try:
        yield process, tokens
    finally:
        os.kill(process.process.pid, signal.SIGCONT)
        process.stop()


def unreachable(state: ConnectionState) -> bool:
    return state.transport is Transport.OFFLINE and state.detail == "not answering"


async def test_a_stopped_server_is_shown_unreachable_until_it_answers_again(
    served: tuple[ServerProcess, dict[str, str]],
) -> None:
    process, tokens = served
    async with running_engine(process.url, tokens["viewer"], QUICK) as run:
        await run.until(Transport.LIVE)
        os.kill(process.process.pid, signal.SIGSTOP)
        await eventually(lambda: unreachable(run.engine.state.value), within=60)
        stopped_at = len(run.states)
        state = run.engine.state.value
        assert state.heard_at is not None
        assert state.data_age(state.heard_at + 7) == 7
        assert "data 7 s old" in state.describe(state.heard_at + 7)
        # reconnect attempts hang in their handshake meanwhile: still unreachable
        await asyncio.sleep(3 * QUICK.open_timeout)
        assert all(s.transport is Transport.OFFLINE for s in run.states[stopped_at:])
        assert run.engine.handshakes > 1
        os.kill(process.process.pid, signal.SIGCONT)
        await run.until(Transport.LIVE, within=60)
        assert run.engine.state.value.heard_at is None  # current again: no age to tell


async def test_a_server_stopped_before_the_first_answer_is_not_left_connecting(
    served: tuple[ServerProcess, dict[str, str]],
) -> None:
    process, tokens = served
    os.kill(process.process.pid, signal.SIGSTOP)
    async with running_engine(process.url, tokens["viewer"], QUICK) as run:
        await eventually(lambda: unreachable(run.engine.state.value), within=60)
        assert run.engine.state.value.heard_at is None  # nothing was ever heard
        os.kill(process.process.pid, signal.SIGCONT)
        await run.until(Transport.LIVE, within=60)


async def test_an_idle_live_server_stays_live(
    served: tuple[ServerProcess, dict[str, str]],
) -> None:
    """Its heartbeat is 30 s apart: the probes keep the silence short."""
    process, tokens = served
    async with running_engine(process.url, tokens["viewer"], QUICK) as run:
        await run.until(Transport.LIVE)
        await asyncio.sleep(4 * QUICK.unreachable_after)
        assert run.transport is Transport.LIVE
        assert not any(s.transport is Transport.OFFLINE for s in run.states)


async def test_watch_says_a_stopped_server_is_unreachable_on_stderr(
    served: tuple[ServerProcess, dict[str, str]], capsys: pytest.CaptureFixture[str]
) -> None:
    """With the default timings: within 20 s of silence, not a test of how fast."""
    process, tokens = served
    err = ""

    async def said(text: str) -> bool:
        nonlocal err
        err += capsys.readouterr().err
        return text in err

    async with watching(process.url, tokens["viewer"]):
        await eventually_async(lambda: said("jobdesk: live"), within=30)
        os.kill(process.process.pid, signal.SIGSTOP)
        await eventually_async(lambda: said(": not answering"), within=90)
    line = next(line for line in err.splitlines() if line.endswith(": not answering"))
    assert line.startswith("jobdesk: unreachable (data ")


@contextlib.asynccontextmanager
async def watching(url: str, token: str) -> AsyncIterator[None]:
    """``jobdesk watch URL --json`` runs inside the block (default timings)."""
    task = asyncio.create_task(
        follow(url, token, server=server_name(url), json_lines=True, duration=None)
    )
    try:
        yield
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_the_silence_is_watched_while_an_attempt_hangs(
    served: tuple[ServerProcess, dict[str, str]],
) -> None:
    """An attempt that hangs longer than the silence allows (a long open timeout) is no
    excuse: the watch says unreachable while it still hangs."""
    process, tokens = served
    patient = dataclasses.replace(QUICK, open_timeout=60.0)
    os.kill(process.process.pid, signal.SIGSTOP)
    async with running_engine(process.url, tokens["viewer"], patient) as run:
        await eventually(lambda: unreachable(run.engine.state.value), within=30)
        assert run.engine.handshakes == 1  # still the first attempt
