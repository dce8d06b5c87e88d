"""Acknowledged writes survive a restart and kill -9; seq and epoch carry on."""

from __future__ import annotations

import threading

import httpx
import pytest

from jobdesk.server.embedded import EmbeddedServer
from tests.conftest import make_tokens
from tests.server.procserver import ServerProcess
from tests.stores import Database

pytestmark = pytest.mark.stores("sqlite", "postgres")


def test_state_seq_and_epoch_survive_a_clean_restart(database: Database) -> None:
    config = database.config()
    tokens = make_tokens(database.location)
    headers = {"Authorization": f"Bearer {tokens['worker']}"}
    with EmbeddedServer(config) as first:
        job_id = httpx.post(f"{first.url}/api/admin/jobs/start", json={}, headers=headers).json()[
            "jobId"
        ]
        httpx.post(
            f"{first.url}/api/admin/jobs/{job_id}/message", json={"text": "hello"}, headers=headers
        )
        before = httpx.get(f"{first.url}/api/jobs", headers=headers).json()
    with EmbeddedServer(config) as second:
        after = httpx.get(f"{second.url}/api/jobs", headers=headers).json()
        assert after == before
        replay = httpx.get(
            f"{second.url}/api/jobs?since=1&epoch={before['epoch']}", headers=headers
        )
        assert [j["version"] for j in replay.json()["jobs"]] == [2]
        created = httpx.post(f"{second.url}/api/jobs", json={}, headers=headers)
        assert created.status_code == 201
        assert (
            httpx.get(f"{second.url}/api/jobs", headers=headers).json()["seq"] == before["seq"] + 1
        )


def test_every_acknowledged_write_survives_kill_9(database: Database) -> None:
    tokens = make_tokens(database.location)
    headers = {"Authorization": f"Bearer {tokens['worker']}"}
    server = ServerProcess(database.path, config=database.process_config())
    acked: list[str] = []
    lock = threading.Lock()
    enough = threading.Event()

    def write() -> None:
        with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
            while True:
                try:
                    response = client.post("/api/jobs", json={"metadata": {"n": len(acked)}})
                except httpx.TransportError:
                    return
                if response.status_code != 201:
                    return
                with lock:
                    acked.append(response.json()["jobId"])
                    if len(acked) >= 150:
                        enough.set()

    threads = [threading.Thread(target=write) for _ in range(6)]
    for thread in threads:
        thread.start()
    assert enough.wait(timeout=60)
    server.kill()
    for thread in threads:
        thread.join(timeout=10)

    restarted = ServerProcess(database.path, config=database.process_config())
    try:
        snapshot = httpx.get(f"{restarted.url}/api/jobs", headers=headers).json()
    finally:
        restarted.stop()
    stored = {j["id"] for j in snapshot["jobs"]}
    assert set(acked) <= stored
    assert snapshot["seq"] == len(stored)
