"""Each simulated job kind ends as its plan says: completed, failed, or stalled running."""

from __future__ import annotations

from random import Random

import pytest

from jobdesk.cli.demo_scenarios import KINDS, Kind, Outcome, Sim
from jobdesk.cli.demo_workers import work
from jobdesk.protocol import Status
from jobdesk.sdk import AsyncJobdeskClient
from tests.conftest import RunningServer


@pytest.mark.parametrize("kind", KINDS, ids=lambda kind: kind.worker)
@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        (Outcome.COMPLETE, Status.COMPLETED),
        (Outcome.FAIL, Status.FAILED),
        (Outcome.STALL, Status.RUNNING),
    ],
)
async def test_each_scenario_ends_as_planned(
    server: RunningServer, kind: Kind, outcome: Outcome, status: Status
) -> None:
    rng = Random(3)
    spec = kind.make_spec(rng)
    assert spec.job_type == kind.job_type  # the type its worker claims
    sim = Sim(rng, outcome, pace=0.005, break_at=0.5)
    async with AsyncJobdeskClient(
        server.url, server.tokens["worker"], flush_interval=0.01
    ) as client:
        job = await client.start_job(spec.job_type, name=spec.name, metadata=spec.metadata)
        await work(job, kind, sim, spec)
        final = await client.get_job(job.job_id)
    assert final.status is status
    assert final.job_type == spec.job_type
    if status is Status.FAILED:
        assert final.error
    if status is Status.RUNNING:
        assert final.progress < 100  # it went quiet part-way
        assert final.finished_at is None
    if status is Status.COMPLETED:
        assert final.result is not None
        assert final.progress == 100
