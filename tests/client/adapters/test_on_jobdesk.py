"""admin-api and jobs-api pointed at a jobdesk server, which speaks seeds 001 and 002
too: the store ends equal to the server's canonical jobs in what those seeds carry."""

from __future__ import annotations

import httpx

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
