"""The history read from a real server: jobs retention moved out of the live set, page by
page, filtered; the browser the History view sits on; kinds that keep no history."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from jobdesk.client.capabilities import Can
from jobdesk.client.errors import EngineStopped, RequestRefused
from jobdesk.client.history import HistoryBrowser
from jobdesk.client.kinds import KINDS
from jobdesk.client.monitor import Monitor, ServerProfile
from jobdesk.client.rest import RestApi
from jobdesk.core.connection import Transport
from jobdesk.core.history import HistoryFilter
from jobdesk.core.store import JobStore
from jobdesk.protocol import Job, JobSummary, Status
from tests.client.engine_harness import FAST
from tests.conftest import RunningServer
from tests.polling import eventually


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    """Finished jobs leave the live set at once, but for the two newest."""
    return {"sweep_interval_s": 0.05, "retention_count": 2}


async def finish(
    http: httpx.AsyncClient, name: str, job_type: str = "render", *, fail: str | None = None
) -> str:
    """A job started and ended by the worker token; its id."""
    started = await http.post("/api/admin/jobs/start", json={"name": name, "jobType": job_type})
    job_id: str = started.json()["jobId"]
    if fail is None:
        ended = await http.post(f"/api/admin/jobs/{job_id}/complete", json={"result": {"n": 1}})
    else:
        ended = await http.post(f"/api/admin/jobs/{job_id}/fail", json={"error": fail})
    assert ended.status_code == 200, ended.text
    return job_id


@contextlib.asynccontextmanager
async def worker_http(server: RunningServer) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as http:
        yield http


@contextlib.asynccontextmanager
async def watching(
    server: RunningServer, *, page: int = 2, kind: str = "jobdesk"
) -> AsyncIterator[Monitor]:
    monitor = Monitor(JobStore(), dataclasses.replace(FAST, history_page=page))
    engine = monitor.add(ServerProfile("local", server.url, server.tokens["viewer"], kind))
    try:
        await eventually(lambda: engine.state.value.transport is not Transport.CONNECTING)
        yield monitor
    finally:
        await monitor.aclose()


async def test_the_history_holds_what_left_the_live_set_paged_and_filtered(
    server: RunningServer,
) -> None:
    async with worker_http(server) as http:
        done = [await finish(http, f"frame {n}") for n in range(4)]
        failed = await finish(http, "Comp Final", "comp", fail="disk full on /render")
        rest = RestApi(server.url, server.tokens["viewer"], timeout=5)
        try:
            await eventually_live_set(rest, server, 2)
            first = await rest.history(HistoryFilter(), JobSummary, limit=3)
            assert [j.id for j in first.jobs] == [failed, done[3], done[2]]
            assert first.next_cursor is not None
            second = await rest.history(
                HistoryFilter(), JobSummary, limit=3, cursor=first.next_cursor
            )
            assert [j.id for j in second.jobs] == [done[1], done[0]]  # gone from the live set
            assert second.next_cursor is None

            whole = await rest.history(HistoryFilter(job_type="render"), Job, limit=1)
            assert whole.jobs[0].result == {"n": 1}  # read whole when asked: the CLI's --json
            by_status = await rest.history(HistoryFilter(status="error"), JobSummary)  # seed 002
            assert [(j.id, j.status) for j in by_status.jobs] == [(failed, Status.FAILED)]
            by_text = await rest.history(HistoryFilter(text="DISK FULL"), JobSummary)
            assert [j.id for j in by_text.jobs] == [failed]
            created = first.jobs[1].created_at
            since = await rest.history(HistoryFilter(created_from=created), JobSummary)
            assert done[3] in {j.id for j in since.jobs}
            before = await rest.history(HistoryFilter(created_to=created), JobSummary)
            assert done[3] not in {j.id for j in before.jobs}

            with pytest.raises(RequestRefused) as refused:
                await rest.history(HistoryFilter(created_from="yesterday"), JobSummary)
            assert (refused.value.code, refused.value.field) == ("INVALID_INPUT", "from")
            assert str(refused.value).endswith("(from)")
        finally:
            await rest.aclose()


async def eventually_live_set(rest: RestApi, server: RunningServer, size: int) -> None:
    """Wait until retention has left ``size`` jobs in the live set."""
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("viewer")) as http:

        async def small() -> bool:
            return len((await http.get("/api/jobs")).json()["jobs"]) == size

        deadline = asyncio.get_running_loop().time() + 10
        while not await small():
            assert asyncio.get_running_loop().time() < deadline, "retention did not run"
            await asyncio.sleep(0.05)


async def test_the_browser_pages_back_within_its_cap(server: RunningServer) -> None:
    async with worker_http(server) as http, watching(server, page=2) as monitor:
        done = [await finish(http, f"shot {n}") for n in range(7)]
        newest_first = done[::-1]
        browser = HistoryBrowser(
            monitor.fetch_history, lambda s: s in monitor.servers_with_history(), cap=4
        )
        await browser.search("local", HistoryFilter(job_type="render"))
        status = browser.status.value
        assert [j.id for j in browser.rows] == newest_first[:2]
        assert (status.searched, status.more, status.loading, status.error) == (
            True,
            True,
            False,
            "",
        )
        await browser.load_older()
        assert [j.id for j in browser.rows] == newest_first[:4]
        await browser.load_older()  # past the cap: the two newest are let go
        assert [j.id for j in browser.rows] == newest_first[2:6]
        assert (browser.status.value.dropped, browser.status.value.shown) == (2, 4)
        await browser.load_older()
        assert [j.id for j in browser.rows] == newest_first[3:7]
        assert not browser.status.value.more
        fetches = browser.fetches
        await browser.load_older()  # nothing older: nothing asked
        assert browser.fetches == fetches

        await browser.search("local", HistoryFilter(owner="nobody"))
        assert (len(browser.rows), browser.status.value.dropped) == (0, 0)
        assert browser.status.value.more is False


async def test_a_refused_search_empties_the_rows_and_says_why(server: RunningServer) -> None:
    async with worker_http(server) as http, watching(server) as monitor:
        await finish(http, "one")
        browser = HistoryBrowser(monitor.fetch_history, lambda _: True)
        await browser.search("local", HistoryFilter())
        assert len(browser.rows) == 1
        await browser.search("local", HistoryFilter(status="exploded"))
        status = browser.status.value
        assert len(browser.rows) == 0
        assert status.error_field == "status"
        assert "exploded" in status.error
        assert (status.loading, status.searched) == (False, True)

        await browser.search("elsewhere", HistoryFilter())  # a server not watched
        assert browser.status.value.error == "elsewhere is not being watched"


async def test_a_search_overtaken_by_a_newer_one_is_dropped(server: RunningServer) -> None:
    async with worker_http(server) as http, watching(server, page=50) as monitor:
        render = await finish(http, "render it")
        comp = await finish(http, "comp it", "comp")
        browser = HistoryBrowser(monitor.fetch_history, lambda _: True)
        first = asyncio.ensure_future(browser.search("local", HistoryFilter(job_type="render")))
        await asyncio.sleep(0)  # the first request is under way
        await browser.search("local", HistoryFilter(job_type="comp"))
        await first
        assert [j.id for j in browser.rows] == [comp]
        assert browser.status.value.wanted.job_type == "comp"
        assert render not in {j.id for j in browser.rows}


async def test_a_failed_load_older_keeps_the_rows_and_its_place(server: RunningServer) -> None:
    async with worker_http(server) as http, watching(server, page=1) as monitor:
        await finish(http, "old")
        newest = await finish(http, "new")
        broken = False

        async def fetch(server: str, wanted: HistoryFilter, cursor: str | None) -> Any:
            if broken:
                raise httpx.ConnectError("refused")
            return await monitor.fetch_history(server, wanted, cursor)

        browser = HistoryBrowser(fetch, lambda _: True)
        await browser.search("local", HistoryFilter())
        broken = True
        await browser.load_older()
        status = browser.status.value
        assert [j.id for j in browser.rows] == [newest]
        assert status.error == "cannot reach the server (ConnectError)"
        assert (status.more, status.loading) == (True, False)
        broken = False
        await browser.load_older()  # asking again retries from the same place
        assert len(browser.rows) == 2
        assert browser.status.value.error == ""


async def test_only_the_jobdesk_kind_reads_history(server: RunningServer) -> None:
    assert [name for name, kind in KINDS.items() if Can.HISTORY in kind.capabilities] == ["jobdesk"]
    async with watching(server, kind="admin-api") as monitor:  # jobdesk speaks seed 001 too
        assert monitor.servers_with_history() == []
        with pytest.raises(EngineStopped, match="keeps no history jobdesk can read"):
            await monitor.fetch_history("local", HistoryFilter())
