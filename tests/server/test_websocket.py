"""The WebSocket: seed 003's messages, filters, replay with since, and its defences."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus

from jobdesk.protocol import (
    AuthFailed,
    Connected,
    ErrorMessage,
    Heartbeat,
    JobFilter,
    JobRemoved,
    JobsSubscribed,
    JobStatsUpdate,
    JobUpdate,
    JobUpdates,
    Ping,
    Pong,
    SubscribeJobs,
    UnsubscribeJobs,
)
from tests.conftest import RunningServer
from tests.polling import wait_for
from tests.server.wsclient import WsClient

FAST = {
    "auth_timeout_s": 0.5,
    "heartbeat_s": 0.3,
    "stats_interval_s": 0.05,
    "allowed_origins": frozenset({"https://jobs.example.com"}),
}


@pytest.fixture
def config_overrides() -> dict[str, Any]:
    return FAST


def subscribed(server: RunningServer, message: SubscribeJobs | None = None) -> WsClient:
    client = WsClient(server.ws_url)
    connected = client.login(server.tokens["viewer"])
    assert isinstance(connected, Connected)
    client.send(message or SubscribeJobs())
    assert isinstance(client.recv_until(JobsSubscribed), JobsSubscribed)
    return client


def test_auth_then_connected_with_epoch_and_seq(
    server: RunningServer, operator: httpx.Client
) -> None:
    operator.post("/api/jobs", json={})
    snap = operator.get("/api/jobs").json()
    with WsClient(server.ws_url) as client:
        connected = client.login(server.tokens["viewer"])
        assert connected == Connected(epoch=snap["epoch"], seq=snap["seq"])


def test_job_updates_arrive_live_with_seq_and_epoch(
    server: RunningServer, worker: httpx.Client
) -> None:
    with subscribed(server) as client:
        job_id = worker.post("/api/admin/jobs/start", json={"name": "send-email"}).json()["jobId"]
        worker.post(f"/api/admin/jobs/{job_id}/progress", json={"progress": 0.5})
        worker.post(f"/api/admin/jobs/{job_id}/complete", json={})
        updates = [client.recv_until(JobUpdate) for _ in range(3)]
    assert [u.job.status.value for u in updates] == ["running", "running", "completed"]
    assert [u.job.version for u in updates] == [1, 2, 3]
    seqs = [u.seq for u in updates]
    assert seqs == sorted(seqs)
    assert len(set(seqs)) == 3
    assert updates[1].job.progress == 50.0
    assert updates[0].job.name == "send-email"


def test_stats_are_broadcast_when_they_change(server: RunningServer, worker: httpx.Client) -> None:
    with subscribed(server) as client:
        worker.post("/api/jobs", json={})
        stats = client.recv_until(JobStatsUpdate)
    assert (stats.stats.pending, stats.stats.total) == (1, 1)


def test_ping_pong_and_heartbeat_with_seq(server: RunningServer, worker: httpx.Client) -> None:
    worker.post("/api/jobs", json={})
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send(Ping())
        assert isinstance(client.recv_until(Pong), Pong)
        beat = client.recv_until(Heartbeat, timeout=3)
        assert beat.seq == 1


def test_replay_since_sends_what_was_missed_in_order(
    server: RunningServer, worker: httpx.Client
) -> None:
    first = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    snap = worker.get("/api/jobs").json()
    second = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    worker.post(f"/api/admin/jobs/{first}/progress", json={"progress": 0.3})
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send(SubscribeJobs(since=snap["seq"], epoch=snap["epoch"]))
        ack = client.recv_until(JobsSubscribed)
        assert (ack.mode, ack.seq) == ("replay", snap["seq"] + 2)
        replayed = [client.recv_until(JobUpdate) for _ in range(2)]
        assert [u.job.id for u in replayed] == [second, first]
        assert [u.seq for u in replayed] == [snap["seq"] + 1, snap["seq"] + 2]
        worker.post(f"/api/admin/jobs/{second}/complete", json={})
        live = client.recv_until(JobUpdate)
        assert (live.job.id, live.seq) == (second, snap["seq"] + 3)


def test_a_batch_subscriber_gets_a_commit_as_one_job_updates_frame(
    server: RunningServer, worker: httpx.Client
) -> None:
    first = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    second = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    with subscribed(server, SubscribeJobs(batch=True)) as client:
        seq = worker.get("/api/jobs").json()["seq"]
        updates = [
            {"jobId": first, "progress": 0.1},
            {"jobId": second, "progress": 0.2},
            {"jobId": first, "progress": 0.3},
        ]
        assert worker.post("/api/admin/jobs/batch", json={"updates": updates}).status_code == 200
        batch = client.recv_until(JobUpdates)
        assert (batch.after, batch.seq) == (seq, seq + 3)
        newest = {u.job.id: (u.job.progress, u.seq) for u in batch.updates}
        assert newest == {first: (30.0, seq + 3), second: (20.0, seq + 2)}
        worker.post(f"/api/admin/jobs/{second}/complete", json={})
        following = client.recv_until(JobUpdates)
        assert (following.after, following.seq) == (seq + 3, seq + 4)


def test_a_batch_subscribers_replay_comes_as_job_updates(
    server: RunningServer, worker: httpx.Client
) -> None:
    first = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    snap = worker.get("/api/jobs").json()
    second = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    worker.post(f"/api/admin/jobs/{first}/progress", json={"progress": 0.3})
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send(SubscribeJobs(since=snap["seq"], epoch=snap["epoch"], batch=True))
        ack = client.recv_until(JobsSubscribed)
        assert (ack.mode, ack.seq) == ("replay", snap["seq"] + 2)
        replay = client.recv_until(JobUpdates)
        assert (replay.after, replay.seq) == (snap["seq"], snap["seq"] + 2)
        assert [u.job.id for u in replay.updates] == [second, first]
        worker.post(f"/api/admin/jobs/{second}/complete", json={})
        live = client.recv_until(JobUpdates)
        assert (live.after, live.seq) == (snap["seq"] + 2, snap["seq"] + 3)


@pytest.mark.parametrize(
    "subscribe",
    [SubscribeJobs(since=999), SubscribeJobs(since=0, epoch="not-this-server")],
    ids=["ahead", "other-epoch"],
)
def test_a_since_that_cannot_be_served_asks_for_a_snapshot(
    server: RunningServer, worker: httpx.Client, subscribe: SubscribeJobs
) -> None:
    worker.post("/api/jobs", json={})
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send(subscribe)
        assert client.recv_until(JobsSubscribed).mode == "snapshot"


@pytest.mark.parametrize("config_overrides", [{"retention_count": 0, "sweep_interval_s": 0.05}])
def test_a_removal_by_retention_is_replayed(server: RunningServer, worker: httpx.Client) -> None:
    job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    worker.post(f"/api/admin/jobs/{job_id}/complete", json={})
    wait_for(lambda: worker.get("/api/jobs").json()["jobs"] == [])
    with WsClient(server.ws_url) as ws:
        ws.login(server.tokens["viewer"])
        ws.send(SubscribeJobs(since=0))
        removed = ws.recv_until(JobRemoved)
        assert (removed.job_id, removed.seq) == (job_id, 3)


def test_filter_by_owner_and_job_ids(server: RunningServer, worker: httpx.Client) -> None:
    other = httpx.Client(base_url=server.url, headers=server.headers("worker2"))
    with other, subscribed(server, SubscribeJobs(filter=JobFilter(owner="worker-2"))) as client:
        worker.post("/api/admin/jobs/start", json={})
        mine = other.post("/api/admin/jobs/start", json={}).json()["jobId"]
        assert client.recv_until(JobUpdate).job.id == mine
    target = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
    with subscribed(server, SubscribeJobs(filter=JobFilter(job_ids=[target]))) as client:
        worker.post("/api/admin/jobs/start", json={})
        worker.post(f"/api/admin/jobs/{target}/progress", json={"progress": 0.9})
        update = client.recv_until(JobUpdate)
        assert (update.job.id, update.job.progress) == (target, 90.0)


def test_seed003_dialect_says_pending(server: RunningServer, worker: httpx.Client) -> None:
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send_raw(json.dumps({"type": "subscribe_jobs", "dialect": "seed003"}))
        client.recv_until(JobsSubscribed)
        worker.post("/api/jobs", json={})
        while True:
            raw = json.loads(client.conn.recv(timeout=5))
            if raw["type"] == "job_update":
                break
    assert raw["job"]["status"] == "pending"


def test_unsubscribe_stops_updates(server: RunningServer, worker: httpx.Client) -> None:
    with subscribed(server) as client:
        client.send(UnsubscribeJobs())
        client.send(Ping())
        client.recv_until(Pong)  # the unsubscribe has been handled
        worker.post("/api/jobs", json={})
        client.send(Ping())
        while not isinstance(message := client.recv(), Pong):
            assert not isinstance(message, JobUpdate)


def test_bad_token_gets_auth_failed_then_1008(server: RunningServer) -> None:
    with WsClient(server.ws_url) as client:
        assert client.login("jd_wrong") == AuthFailed()
        with pytest.raises(ConnectionClosed) as closed:
            client.recv()
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


def test_no_auth_within_the_timeout_closes_1008(server: RunningServer) -> None:
    with WsClient(server.ws_url) as client, pytest.raises(ConnectionClosed) as closed:
        client.recv(timeout=60)  # closed by the server's 0.5 s auth timeout; 60 s only bounds it
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1008


def test_unknown_and_malformed_messages_get_an_error_and_the_socket_stays(
    server: RunningServer,
) -> None:
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send_raw('{"type": "launch_missiles"}')
        unknown = client.recv_until(ErrorMessage)
        assert unknown.code == "UNKNOWN_MESSAGE"
        assert "launch_missiles" in unknown.message
        client.send_raw("{not json")
        assert client.recv_until(ErrorMessage).code == "INVALID_INPUT"
        client.send_raw('{"type": "subscribe_jobs", "since": "yesterday"}')
        invalid = client.recv_until(ErrorMessage)
        assert invalid.code == "INVALID_INPUT"
        assert "since" in invalid.message
        client.send(Ping())
        assert isinstance(client.recv_until(Pong), Pong)


def test_a_frame_over_64_kib_closes_1009(server: RunningServer) -> None:
    with WsClient(server.ws_url, max_size=None) as client:
        client.login(server.tokens["viewer"])
        client.send_raw(json.dumps({"type": "ping", "pad": "x" * 70_000}))
        with pytest.raises(ConnectionClosed) as closed:
            client.recv_until(Pong)
    assert closed.value.rcvd is not None
    assert closed.value.rcvd.code == 1009


def test_browser_origins_must_be_allowed(server: RunningServer) -> None:
    with pytest.raises(InvalidStatus) as refused:
        WsClient(server.ws_url, origin="https://evil.example.net")
    assert refused.value.response.status_code == 403
    with WsClient(server.ws_url, origin="https://jobs.example.com") as allowed:
        assert isinstance(allowed.login(server.tokens["viewer"]), Connected)


def test_permessage_deflate_is_refused(server: RunningServer) -> None:
    from websockets.sync.client import connect

    with connect(server.ws_url) as conn:  # offers permessage-deflate by default
        assert conn.response is not None
        assert "Sec-WebSocket-Extensions" not in conn.response.headers
