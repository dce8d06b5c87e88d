"""Operator actions against a real server: several force-fails at once, cleanup."""

from __future__ import annotations

import httpx

from jobdesk.client.actions import OperatorActions
from tests.conftest import RunningServer


async def test_force_fail_several_and_report_each(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as w:
        running = [
            (await w.post("/api/admin/jobs/start", json={})).json()["jobId"] for _ in range(2)
        ]
        done = (await w.post("/api/admin/jobs/start", json={})).json()["jobId"]
        await w.post(f"/api/admin/jobs/{done}/complete", json={})
    actions = OperatorActions(server.url, server.tokens["operator"])
    outcomes = await actions.force_fail([*running, done, "job_missing"], reason="stuck")
    assert [o.ok for o in outcomes] == [True, True, False, False]
    assert "already completed" in outcomes[2].detail
    assert "no job with id" in outcomes[3].detail


async def test_a_viewer_is_refused_clearly(server: RunningServer) -> None:
    actions = OperatorActions(server.url, server.tokens["viewer"])
    (outcome,) = await actions.force_fail(["job_x"])
    assert not outcome.ok
    assert outcome.detail == "only operators may force-fail a job"


async def test_emergency_cleanup_counts(server: RunningServer) -> None:
    async with httpx.AsyncClient(base_url=server.url, headers=server.headers("worker")) as w:
        for _ in range(3):
            await w.post("/api/jobs", json={})
    assert await OperatorActions(server.url, server.tokens["operator"]).emergency_cleanup() == 3
