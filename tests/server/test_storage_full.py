"""A full disk answers 503 STORAGE_FULL with Retry-After, and writes work again once space
is freed; the state in memory stays the database's, and the log says it once.

The disk is made full for real through SQLite: ``max_db_bytes`` sets ``PRAGMA
max_page_count``, past which SQLite answers SQLITE_FULL ("database or disk is full")
exactly as it does when the disk has no space left. Space is freed by deleting a padding
table from another connection, as an operator deleting something would.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from jobdesk.protocol import ErrorCode
from jobdesk.sdk import JobdeskClient, RetryPolicy, SubmissionError
from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from tests.conftest import make_tokens
from tests.server.procserver import ServerProcess

HEADROOM_BYTES = 64 * 1024
"""Room left above the padded file: a few hundred jobs, then the disk is full."""


def padded_database(db_path: Path) -> tuple[dict[str, str], int]:
    """A database with tokens and 1 MB of padding to free later; its tokens and the
    size limit that leaves HEADROOM_BYTES."""
    tokens = make_tokens(db_path)
    with sqlite3.connect(db_path) as db:
        db.execute("CREATE TABLE padding (blob BLOB)")
        db.executemany("INSERT INTO padding VALUES (?)", [(os.urandom(4096),)] * 256)
        pages, size = (db.execute(f"PRAGMA {p}").fetchone()[0] for p in ("page_count", "page_size"))
    return tokens, pages * size + HEADROOM_BYTES


def free_space(db_path: Path) -> None:
    with sqlite3.connect(db_path) as db:
        db.execute("DELETE FROM padding")


def fill(client: httpx.Client, most: int = 5000) -> httpx.Response:
    """Create jobs until the server refuses one; that refusal."""
    for n in range(most):
        response = client.post("/api/jobs", json={"metadata": {"n": n, "pad": "x" * 200}})
        if response.status_code != 201:
            return response
    raise AssertionError(f"{most} jobs fitted in {HEADROOM_BYTES} bytes")


def stored(db_path: Path) -> tuple[int, dict[str, int]]:
    """The database's seq and each job's version, read from the file itself."""
    with sqlite3.connect(db_path) as db:
        seq = int(db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])
        rows = db.execute("SELECT id, data FROM jobs").fetchall()
    return seq, {job_id: json.loads(data)["version"] for job_id, data in rows}


def served(client: httpx.Client) -> tuple[int, dict[str, int]]:
    listed: dict[str, Any] = client.get("/api/jobs").json()
    return listed["seq"], {j["id"]: j["version"] for j in listed["jobs"]}


def test_a_full_disk_answers_503_storage_full_and_recovers_when_space_frees(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    db_path = tmp_path / "full.db"
    tokens, limit = padded_database(db_path)
    config = ServerConfig(db_path=db_path, port=0, max_db_bytes=limit)
    headers = {"Authorization": f"Bearer {tokens['worker']}"}
    caplog.set_level(logging.INFO, logger="jobdesk")
    with (
        EmbeddedServer(config) as server,
        httpx.Client(base_url=server.url, headers=headers) as client,
    ):
        refused = fill(client)
        assert refused.status_code == 503
        assert refused.headers["Retry-After"] == str(config.storage_retry_after_s)
        error = refused.json()["error"]
        assert error["code"] == ErrorCode.STORAGE_FULL.value
        assert "full" in error["message"]
        job_id = served(client)[1].popitem()[0]
        more = [
            client.post(f"/api/admin/jobs/{job_id}/message", json={"text": "y" * 500})
            for _ in range(40)
        ] + [client.post("/api/jobs", json={}) for _ in range(40)]
        assert {r.status_code for r in more} == {503}
        assert served(client) == stored(db_path)  # nothing refused reached the memory

        free_space(db_path)
        created = client.post("/api/jobs", json={})
        assert created.status_code == 201
        assert served(client) == stored(db_path)
    full = [r for r in caplog.records if "database or disk is full" in r.getMessage()]
    assert len(full) == 1  # 81 refused batches, one line (at most one a minute)
    assert full[0].exc_info is None  # no traceback for a known cause


def test_a_submission_to_a_full_server_fails_with_submission_failed_after_retries(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "sdk.db"
    tokens, limit = padded_database(db_path)
    config = ServerConfig(db_path=db_path, port=0, max_db_bytes=limit, storage_retry_after_s=1)
    retry = RetryPolicy(max_attempts=3, base_delay=0.01, max_delay=0.05, max_elapsed=10)
    with (
        EmbeddedServer(config) as server,
        httpx.Client(
            base_url=server.url, headers={"Authorization": f"Bearer {tokens['worker']}"}
        ) as raw,
        JobdeskClient(server.url, tokens["worker"], retry=retry) as client,
    ):
        fill(raw)
        with pytest.raises(SubmissionError) as refused:
            client.submit_job("email", payload={"to": "a@b.c"})
        assert refused.value.code == ErrorCode.SUBMISSION_FAILED.value
        assert (refused.value.status, refused.value.attempts) == (503, 3)
        free_space(db_path)
        assert client.submit_job("email").startswith("job_")


def _rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


def test_refused_writes_hold_no_memory(tmp_path: Path) -> None:
    db_path = tmp_path / "rss.db"
    tokens, limit = padded_database(db_path)
    server = ServerProcess(db_path, config={"max_db_bytes": limit})
    headers = {"Authorization": f"Bearer {tokens['worker']}"}
    try:
        with httpx.Client(base_url=server.url, headers=headers) as client:
            fill(client)
            job = {"metadata": {"pad": "z" * 4000}}

            def refuse(count: int) -> set[int]:
                return {client.post("/api/jobs", json=job).status_code for _ in range(count)}

            assert refuse(500) == {503}
            settled = _rss_kib(server.process.pid)
            assert refuse(3000) == {503}
            grown = _rss_kib(server.process.pid) - settled
            assert grown < 8 * 1024, f"RSS grew {grown} KiB over 3,000 refused writes"
            assert served(client) == stored(db_path)
    finally:
        server.stop()
