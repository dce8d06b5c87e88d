"""Hostile WebSocket clients: each is cut off, and the server's memory stays flat.

The server runs in its own process, so its resident memory is its own; every flood is
bounded in frames and seconds, and aims at 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from websockets.exceptions import ConnectionClosed

from jobdesk.protocol import ErrorMessage, JobFilter, Ping, Pong, SubscribeJobs
from tests.conftest import RunningServer, make_tokens
from tests.polling import wait_for
from tests.server.procserver import ServerProcess
from tests.server.rawws import HostileClient, rss_mb
from tests.server.wsclient import WsClient


class Served:
    def __init__(self, process: ServerProcess, tokens: dict[str, str]) -> None:
        self.process = process
        self.tokens = tokens
        self.ws_url = process.url.replace("http://", "ws://") + "/api/notifications/ws"

    def rss(self) -> float:
        return rss_mb(self.process.process.pid)

    def hostile(self, *, auth: bool) -> HostileClient:
        client = HostileClient(self.ws_url)
        if auth:
            client.send_text(json.dumps({"type": "auth", "token": self.tokens["viewer"]}))
        return client


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    tokens = make_tokens(tmp_path / "jobs.db")
    process = ServerProcess(tmp_path / "jobs.db")
    try:
        yield Served(process, tokens)
    finally:
        process.stop()


def settled_rss(served: Served) -> float:
    """The server's memory once a connection is set up (imports and buffers are paid)."""
    with WsClient(served.ws_url) as client:
        client.login(served.tokens["viewer"])
        client.send(Ping())
        client.recv_until(Pong)
    return served.rss()


def test_ping_frames_without_auth_and_without_reading_are_cut_off(served: Served) -> None:
    before = settled_rss(served)
    client = served.hostile(auth=False)
    try:
        closed = client.flood(None, count=400_000, seconds=20)
        assert closed or client.wait_closed(20)
    finally:
        client.close()
    assert served.rss() - before < 20


@pytest.mark.parametrize(
    "frame",
    ['{"type":"' + "z" * 60_000 + '"}', '{"type":"ping"}'],
    ids=["unknown-type-60KB", "ping-message"],
)
def test_a_message_flood_without_reading_is_cut_off(served: Served, frame: str) -> None:
    before = settled_rss(served)
    client = served.hostile(auth=True)
    try:
        closed = client.flood(frame, count=50_000, seconds=20)
        assert closed or client.wait_closed(20)
    finally:
        client.close()
    assert served.rss() - before < 30


def test_a_viewer_that_never_reads_jobs_with_big_logs_is_cut_off(served: Served) -> None:
    """Seed 003 subscribers get a whole job per change: 9 KB log lines make each frame
    bigger than the last, and a viewer that reads nothing used to hold them all."""
    before = settled_rss(served)
    client = served.hostile(auth=True)
    client.send_text(json.dumps({"type": "subscribe_jobs"}))
    line = "x" * 9_000
    headers = {"Authorization": f"Bearer {served.tokens['worker']}"}
    try:
        with httpx.Client(base_url=served.process.url, headers=headers, timeout=30) as http:
            ids = [http.post("/api/admin/jobs/start", json={}).json()["jobId"] for _ in range(50)]
            with WsClient(served.ws_url) as reader:
                reader.login(served.tokens["viewer"])
                reader.send(SubscribeJobs(filter=JobFilter(job_ids=[ids[0]])))
                for n in range(2_000):
                    http.post(f"/api/admin/jobs/{ids[n % 50]}/message", json={"text": line})
                # a reader that reads still gets what it asked for
                http.post(f"/api/admin/jobs/{ids[0]}/message", json={"text": "last"})
                assert _received_message(reader, "last")
        assert client.wait_closed(30)
    finally:
        client.close()
    assert served.rss() - before < 80  # the jobs' own logs are ~18 MB of it


def _received_message(reader: WsClient, text: str) -> bool:
    while True:
        message = reader.recv(timeout=30)
        job = getattr(message, "job", None)
        if job is not None and job.message == text:
            return True


@pytest.mark.parametrize(
    "config_overrides",
    [{"ws_stall_timeout_s": 1.0, "ws_max_queued_bytes": 512 * 1024 * 1024}],
)
def test_a_subscriber_that_reads_nothing_while_frames_wait_is_dropped(
    server: RunningServer, worker: httpx.Client
) -> None:
    service = server.embedded.service
    assert service is not None
    client = HostileClient(server.ws_url)
    client.send_text(json.dumps({"type": "auth", "token": server.tokens["viewer"]}))
    client.send_text(json.dumps({"type": "subscribe_jobs"}))
    try:
        wait_for(lambda: len(service.hub) == 1)
        job_id = worker.post("/api/admin/jobs/start", json={}).json()["jobId"]
        line = "y" * 9_000
        for _ in range(80):  # ~30 MB of frames: far more than the socket buffers hold
            worker.post(f"/api/admin/jobs/{job_id}/message", json={"text": line})
            if not len(service.hub):
                break
        wait_for(lambda: len(service.hub) == 0, within=30)
        assert client.wait_closed(30)
    finally:
        client.close()


def test_more_messages_than_the_rate_closes_the_socket_with_1008(server: RunningServer) -> None:
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        with contextlib.suppress(ConnectionClosed):  # the server may close mid-flood
            for _ in range(300):
                client.send(Ping())
        assert client.close_code() == 1008


@pytest.mark.parametrize(
    "frame",
    [
        '{"type": []}',
        '{"type": {}}',
        '{"type": null}',
        "[" * 5_000 + "]" * 5_000,
        '{"type": "ping", "deep": ' + "[" * 3_000 + "]" * 3_000 + "}",
        '{"type": "subscribe_jobs", "filter": ' + '{"a":' * 2_000 + "1" + "}" * 2_000 + "}",
    ],
    ids=["list", "object", "null", "nested-5000", "nested-in-ping", "nested-in-filter"],
)
def test_a_strange_frame_gets_an_error_and_the_socket_stays(
    server: RunningServer, frame: str
) -> None:
    with WsClient(server.ws_url) as client:
        client.login(server.tokens["viewer"])
        client.send_raw(frame)
        answer = client.recv_until((ErrorMessage, Pong))
        if isinstance(answer, ErrorMessage):
            assert answer.code in ("UNKNOWN_MESSAGE", "INVALID_INPUT")
            assert len(answer.message) < 300
        client.send(Ping())
        assert isinstance(client.recv_until(Pong), Pong)


def test_invalid_utf8_closes_with_1007_and_logs_one_line(
    server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = HostileClient(server.ws_url)
    try:
        client.send_text(json.dumps({"type": "auth", "token": server.tokens["viewer"]}))
        client.send_text(b'{"type": "\xff\xfe"}')
        assert client.wait_closed(10)
    finally:
        client.close()
    wait_for(lambda: any("not UTF-8" in r.getMessage() for r in caplog.records))
    assert not [r for r in caplog.records if r.exc_info]


def test_other_clients_are_served_while_one_floods(served: Served) -> None:
    """Not a timing test: while a flood runs, another client's updates still arrive."""
    client = served.hostile(auth=True)
    stop = threading.Event()

    def flood() -> None:
        while not stop.is_set() and client.send_ping():
            pass

    flooder = threading.Thread(target=flood, daemon=True)
    flooder.start()
    headers = {"Authorization": f"Bearer {served.tokens['worker']}"}
    try:
        with WsClient(served.ws_url) as reader, httpx.Client(headers=headers) as http:
            reader.login(served.tokens["viewer"])
            reader.send(SubscribeJobs())
            for n in range(20):
                http.post(f"{served.process.url}/api/admin/jobs/start", json={"name": f"j{n}"})
            names: set[str] = set()
            while len(names) < 20:
                job = getattr(reader.recv(timeout=30), "job", None)
                if job is not None:
                    names.add(job.name)
    finally:
        stop.set()
        flooder.join(timeout=30)
        client.close()
