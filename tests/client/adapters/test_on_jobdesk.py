"""admin-api, jobs-api and job-dashboard-ws pointed at a jobdesk server, which speaks
seeds 001, 002 and 003 too: the store ends equal to the server's canonical jobs in what
those seeds carry."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx

from jobdesk.core.connection import Transport
from jobdesk.protocol import JobSummary
from tests.client.adapters.harness import agrees, running_kind
from tests.client.engine_harness import server_snapshot
from tests.conftest import RunningServer


async def _jobs(server: RunningServer, count: int) -> list[str]:
    """``count`` jobs started through seed 001, in different states."""
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as http:
        ids = []
        for n in range(count):
            started = await http.post("/api/admin/jobs/start", json={"jobType": f"type-{n}"})
            ids.append(started.raise_for_status().json()["jobId"])
        await http.post(f"/api/admin/jobs/{ids[0]}/progress", json={"progress": 0.425})
        await http.post(f"/api/admin/jobs/{ids[0]}/message", json={"text": "step 1"})
        await http.post(f"/api/admin/jobs/{ids[1]}/complete", json={"message": "done"})
        await http.post(f"/api/admin/jobs/{ids[2]}/fail", json={"error": "broken"})
        return ids


def _canonical(job: JobSummary) -> tuple[object, ...]:
    return (job.status, round(job.progress, 6), job.message, job.error, job.updated_at)


def _wrong(truth: dict[str, JobSummary], jobs: dict[str, JobSummary], ids: list[str]) -> list[str]:
    return [i for i in ids if i not in jobs or _canonical(jobs[i]) != _canonical(truth[i])]


async def test_admin_api_on_a_jobdesk_server(server: RunningServer) -> None:
    await _jobs(server, 4)
    truth = {j.id: j for j in (await server_snapshot(server.url, server.tokens["viewer"])).jobs}
    async with running_kind(server.url, server.tokens["viewer"], "admin-api") as run:

        def differences(jobs: dict[str, JobSummary]) -> list[str]:
            wrong = [
                i for i in truth if i not in jobs or _canonical(jobs[i]) != _canonical(truth[i])
            ]
            return wrong + [i for i in jobs if i not in truth]

        await agrees(run, differences)
        assert run.store.server("srv").jobs[next(iter(truth))].owner == "worker-1"


async def test_jobs_api_on_a_jobdesk_server(server: RunningServer) -> None:
    ids = await _jobs(server, 3)
    truth = {j.id: j for j in (await server_snapshot(server.url, server.tokens["viewer"])).jobs}
    options = {"jobs": ",".join(ids)}
    async with running_kind(server.url, server.tokens["viewer"], "jobs-api", options) as run:

        def differences(jobs: dict[str, JobSummary]) -> list[str]:
            return _wrong(truth, jobs, ids)

        await agrees(run, differences)


async def test_job_dashboard_ws_on_a_jobdesk_server(server: RunningServer) -> None:
    """Seed 003's socket and seed 001's list of a jobdesk server: the store follows both."""
    ids = await _jobs(server, 4)
    token = server.tokens["viewer"]
    async with running_kind(server.url, token, "job-dashboard-ws") as run:

        async def differences_now() -> list[str]:
            truth = {j.id: j for j in (await server_snapshot(server.url, token)).jobs}
            jobs = run.store.server("srv").jobs
            return _wrong(truth, jobs, list(truth)) + [i for i in jobs if i not in truth]

        await eventually_agrees(differences_now)
        await run.until(Transport.LIVE)
        async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as http:
            await http.post(f"/api/admin/jobs/{ids[3]}/progress", json={"progress": 0.7})
            await http.post(f"/api/admin/jobs/{ids[0]}/complete", json={"message": "all done"})
        await eventually_agrees(differences_now)
        assert run.transport is Transport.LIVE
        assert run.store.server("srv").jobs[ids[3]].progress == 70.0


async def eventually_agrees(differences: Callable[[], Awaitable[list[str]]]) -> None:
    deadline = asyncio.get_running_loop().time() + 15.0
    while problems := await differences():
        assert asyncio.get_running_loop().time() < deadline, f"store differs: {problems[:5]}"
        await asyncio.sleep(0.05)
