"""One server per database file, and a seq that never moves backwards.

Reported: a second ``jobdesk serve`` on the same file started; its idle sweep committed
its stale ``meta.seq`` over the first one's, and after a restart every write answered
500 (UNIQUE constraint on events.seq). Now the second server refuses to start, a commit
refuses a seq that does not move forward, and a database damaged that way is repaired
at start.
"""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import httpx
import pytest

from jobdesk.server.config import ServerConfig
from jobdesk.server.db.lock import DatabaseInUse
from jobdesk.server.embedded import EmbeddedServer
from jobdesk.server.service import JobService
from tests.cli.conftest import run_jobdesk
from tests.conftest import make_tokens
from tests.server.procserver import ServerProcess


def _create(url: str, headers: dict[str, str], count: int) -> list[int]:
    return [
        httpx.post(f"{url}/api/jobs", json={}, headers=headers).status_code for _ in range(count)
    ]


def _meta_seq(db_path: Path) -> int:
    with sqlite3.connect(db_path) as db:
        return int(db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])


def test_a_second_serve_on_the_same_file_refuses_to_start_naming_the_holder(
    tmp_path: Path,
) -> None:
    db_path = tmp_path / "one.db"
    headers = {"Authorization": f"Bearer {make_tokens(db_path)['worker']}"}
    first = ServerProcess(db_path, config={"sweep_interval_s": 0.05})
    try:
        assert _create(first.url, headers, 3) == [201] * 3
        # Bounded: before the fix the second server served (and swept) until killed.
        second = run_jobdesk("serve", "--port", "0", "--db", str(db_path), timeout=30)
        assert second.returncode == 1
        last = second.stderr.splitlines()[-1]
        assert last.startswith("jobdesk: error: ")
        assert str(db_path) in last
        assert f"pid {first.process.pid}" in last
        assert "Traceback" not in second.stderr
        assert _create(first.url, headers, 1) == [201]
    finally:
        first.stop()
    restarted = ServerProcess(db_path)
    try:
        assert _create(restarted.url, headers, 2) == [201, 201]
        assert httpx.get(f"{restarted.url}/api/jobs", headers=headers).json()["seq"] == 6
    finally:
        restarted.stop()


def test_token_create_works_while_a_server_process_holds_the_file(tmp_path: Path) -> None:
    db_path = tmp_path / "tokens.db"
    make_tokens(db_path)
    server = ServerProcess(db_path)
    try:
        made = run_jobdesk(
            "token", "create", "--role", "viewer", "--name", "late", "--db", str(db_path)
        )
        assert made.returncode == 0, made.stderr
        token = made.stdout.strip()
        answer = httpx.get(f"{server.url}/api/jobs", headers={"Authorization": f"Bearer {token}"})
        assert answer.status_code == 200
    finally:
        server.stop()


def test_the_lock_of_a_killed_server_is_free_for_the_next_one(tmp_path: Path) -> None:
    db_path = tmp_path / "killed.db"
    headers = {"Authorization": f"Bearer {make_tokens(db_path)['worker']}"}
    first = ServerProcess(db_path)
    first.kill()
    second = ServerProcess(db_path)
    try:
        assert _create(second.url, headers, 1) == [201]
    finally:
        second.stop()


def test_the_embedded_server_holds_the_file_until_it_stops(tmp_path: Path) -> None:
    config = ServerConfig(db_path=tmp_path / "embedded.db", port=0)
    with EmbeddedServer(config), pytest.raises(DatabaseInUse, match=r"embedded\.db"):
        JobService(config)
    with EmbeddedServer(config) as again:
        assert again.service is not None


def test_a_commit_never_moves_the_stored_seq_backwards(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = ServerConfig(db_path=tmp_path / "ahead.db", port=0)
    headers = {"Authorization": f"Bearer {make_tokens(config.db_path)['worker']}"}
    with EmbeddedServer(config) as server:
        assert _create(server.url, headers, 3) == [201] * 3
        with sqlite3.connect(config.db_path) as db:  # another writer got ahead
            db.execute("UPDATE meta SET value = '10' WHERE key = 'seq'")
        caplog.set_level(logging.ERROR, logger="jobdesk")
        refused = httpx.post(f"{server.url}/api/jobs", json={}, headers=headers)
        assert refused.status_code == 500
        assert _meta_seq(config.db_path) == 10
        with sqlite3.connect(config.db_path) as db:
            assert db.execute("SELECT count(*) FROM jobs").fetchone()[0] == 3
        assert any("seq" in r.getMessage() and "refused" in r.getMessage() for r in caplog.records)
        listed = httpx.get(f"{server.url}/api/jobs", headers=headers).json()
        assert (listed["seq"], len(listed["jobs"])) == (3, 3)


def test_a_database_whose_stored_seq_fell_behind_is_repaired_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = ServerConfig(db_path=tmp_path / "damaged.db", port=0)
    headers = {"Authorization": f"Bearer {make_tokens(config.db_path)['worker']}"}
    with EmbeddedServer(config) as server:
        assert _create(server.url, headers, 3) == [201] * 3
    with sqlite3.connect(config.db_path) as db:  # what the idle second server wrote
        db.execute("UPDATE meta SET value = '0' WHERE key = 'seq'")
    caplog.set_level(logging.WARNING, logger="jobdesk")
    with EmbeddedServer(config) as server:
        assert _create(server.url, headers, 2) == [201, 201]
        assert httpx.get(f"{server.url}/api/jobs", headers=headers).json()["seq"] == 5
    assert _meta_seq(config.db_path) == 5
    repaired = [r.getMessage() for r in caplog.records if "repaired" in r.getMessage()]
    assert len(repaired) == 1
    assert "stored seq was 0, below its newest change 3" in repaired[0]
