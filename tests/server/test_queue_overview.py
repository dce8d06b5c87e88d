"""The queue overview against a real server with real SDK workers: REST and WebSocket."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import msgspec
import pytest

from jobdesk.protocol.messages import QueueOverviewMessage, SubscribeOverview, UnsubscribeOverview
from jobdesk.protocol.overview import QueueOverview
from jobdesk.sdk import JobdeskClient
from tests.conftest import RunningServer
from tests.polling import wait_for
from tests.server.wsclient import WsClient


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return {"overview_interval_s": 0.1, "sweep_interval_s": 0.1, "retry_base_s": 0.1}


@pytest.fixture
def ops(server: RunningServer) -> Iterator[JobdeskClient]:
    with JobdeskClient(server.url, server.tokens["operator"]) as client:
        yield client


@pytest.fixture
def viewer(server: RunningServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, headers=server.headers("viewer")) as client:
        yield client


def overview(client: httpx.Client) -> QueueOverview:
    response = client.get("/api/queue/overview")
    assert response.status_code == 200, response.text
    return msgspec.json.decode(response.content, type=QueueOverview)


def run_worker(server: RunningServer, name: str, job_type: str, jobs: int, fail: bool) -> None:
    """A real SDK worker: takes ``jobs`` jobs of ``job_type``, each done or failed."""
    with JobdeskClient(server.url, server.tokens["worker"], flush_interval=0.05) as client:
        worker = client.worker(name, lease=5, wait=1)
        for taken, job in enumerate(worker.jobs(job_type), start=1):
            with job:
                job.progress(50)
                if fail:
                    job.fail("broken input")
            if taken == jobs:
                worker.stop()


def test_workers_and_types_are_seen_from_claims_and_reports(
    server: RunningServer, ops: JobdeskClient, viewer: httpx.Client
) -> None:
    for _ in range(3):
        ops.submit_job("thumbnail")
    for _ in range(2):
        ops.submit_job("ocr")
    ops.submit_job("video_render")
    ops.submit_job("video_render")
    threads = [
        threading.Thread(target=run_worker, args=(server, "thumbs-1", "thumbnail", 3, False)),
        threading.Thread(target=run_worker, args=(server, "ocr-1", "ocr", 2, True)),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    seen = overview(viewer)
    workers = {w.name: w for w in seen.workers}
    assert set(workers) == {"thumbs-1", "ocr-1"}
    assert workers["thumbs-1"].job_types == ["thumbnail"]
    assert (workers["thumbs-1"].done_last_hour, workers["thumbs-1"].failed_last_hour) == (3, 0)
    assert (workers["ocr-1"].done_last_hour, workers["ocr-1"].failed_last_hour) == (0, 2)
    assert all(w.live and w.current_job is None for w in workers.values())
    types = {t.job_type: t for t in seen.job_types}
    assert types["video_render"].queued == 2
    assert not types["video_render"].served
    assert types["video_render"].oldest_queued_s is not None
    assert (types["thumbnail"].served, types["thumbnail"].queued) == (True, 0)
    assert len(seen.minutes) == 60
    assert sum(m.completed for m in seen.minutes) == 3
    assert sum(m.failed for m in seen.minutes) == 2


def test_a_running_job_shows_as_its_workers_current_job(
    server: RunningServer, ops: JobdeskClient, viewer: httpx.Client
) -> None:
    job_id = ops.submit_job("crunch")
    with JobdeskClient(server.url, server.tokens["worker"], flush_interval=0.05) as client:
        worker = client.worker("cruncher", lease=5, wait=1)
        for job in worker.jobs("crunch"):
            with job:
                job.progress(10)
                job.flush()
                (seen,) = overview(viewer).workers
                assert (seen.name, seen.current_job, seen.live) == ("cruncher", job_id, True)
                (crunch,) = overview(viewer).job_types
                assert (crunch.running, crunch.queued, crunch.served) == (1, 0, True)
            worker.stop()


def test_a_websocket_subscriber_gets_overviews_until_it_unsubscribes(
    server: RunningServer, ops: JobdeskClient
) -> None:
    ops.submit_job("video_render")
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send(SubscribeOverview())
        first = client.recv_until(QueueOverviewMessage)
        assert [t.job_type for t in first.overview.job_types] == ["video_render"]
        ops.submit_job("video_render")
        wait_for(lambda: client.recv_until(QueueOverviewMessage).overview.job_types[0].queued == 2)
        client.send(UnsubscribeOverview())
        service = server.embedded.service
        assert service is not None
        wait_for(lambda: not service.hub.overview_watchers)


def test_the_overview_needs_a_token(server: RunningServer) -> None:
    assert httpx.get(server.url + "/api/queue/overview").status_code == 401
