"""The demo's workers pull from the queue: flaky jobs retry, stalled ones come back."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from jobdesk.cli.demo_scenarios import Outcome
from jobdesk.cli.demo_workers import WORKER_NAMES, DemoFleet, outcome_of
from jobdesk.server.tokens import create_token
from tests.conftest import RunningServer
from tests.polling import eventually_async


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"sweep_interval_s": 0.05, "retry_base_s": 0.05, "retry_max_s": 0.05}


def test_flaky_and_stalling_plans_recover_on_their_retry() -> None:
    assert [outcome_of("flaky", n) for n in (1, 2)] == [Outcome.FAIL, Outcome.COMPLETE]
    assert [outcome_of("stall", n) for n in (1, 2)] == [Outcome.STALL, Outcome.COMPLETE]
    assert [outcome_of("fail", n) for n in (1, 3)] == [Outcome.FAIL, Outcome.FAIL]
    assert outcome_of("complete", 1) is Outcome.COMPLETE


async def test_the_fleet_submits_to_the_queue_and_its_workers_claim(
    server: RunningServer,
) -> None:
    tokens = {
        key: create_token(server.db_path, "worker", name) for key, name in WORKER_NAMES.items()
    }
    fleet = DemoFleet(server.url, server.tokens["operator"], tokens, seed=11, pace=0.02)
    headers = server.headers("operator")
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
        flaky = await http.post(
            "/api/jobs",
            json={
                "jobType": "send-email",
                "name": "send-email: flaky",
                "payload": {"plan": "flaky", "seed": 1, "breakAt": 0.3},
                "maxAttempts": 3,
                "metadata": {"campaign": "test", "recipients": 20},
            },
        )
        flaky_id = flaky.json()["jobId"]
        stop = asyncio.Event()
        running = asyncio.create_task(fleet.run(stop))

        async def jobs() -> dict[str, dict[str, Any]]:
            answer = (await http.get("/api/jobs")).json()["jobs"]
            return {job["id"]: job for job in answer}

        async def enough_finished() -> bool:
            finished = [j for j in (await jobs()).values() if j["finishedAt"]]
            return len(finished) >= 6 and (await jobs())[flaky_id]["status"] == "completed"

        try:
            await eventually_async(enough_finished, within=60)
        finally:
            stop.set()
            await running
        everything = await jobs()
    retried = everything[flaky_id]
    assert [a["outcome"] for a in retried["history"]] == ["failed", "completed"]
    assert retried["history"][0]["worker"].startswith("mailer#")
    submitted = [everything[job_id] for job_id in fleet.created if job_id in everything]
    assert len(submitted) >= 4
    assert all(job["maxAttempts"] == 3 for job in submitted)
    claimed = [job for job in submitted if job["history"]]
    assert claimed
    assert {job["owner"] for job in claimed} <= set(WORKER_NAMES.values()) | {""}


async def test_a_job_without_the_demos_metadata_fails_with_why(server: RunningServer) -> None:
    """As the README submits one: a payload of its own, no metadata the scenario reads."""
    tokens = {
        key: create_token(server.db_path, "worker", name) for key, name in WORKER_NAMES.items()
    }
    fleet = DemoFleet(server.url, server.tokens["operator"], tokens, seed=3, pace=0.02)
    headers = server.headers("operator")
    async with httpx.AsyncClient(base_url=server.url, headers=headers) as http:
        posted = await http.post(
            "/api/jobs", json={"jobType": "send-email", "payload": {"to": "a@b.c"}}
        )
        job_id = posted.json()["jobId"]
        stop = asyncio.Event()
        running = asyncio.create_task(fleet.run(stop))

        async def failed() -> bool:
            job = (await http.get(f"/api/jobs/{job_id}/detail")).json()
            return bool(job["status"] == "failed")

        try:
            await eventually_async(failed, within=60)
        finally:
            stop.set()
            await running
        job = (await http.get(f"/api/jobs/{job_id}/detail")).json()
    assert "needs metadata recipients (a whole number)" in job["error"]
    assert "lacks recipients" in job["error"]
