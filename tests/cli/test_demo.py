"""``jobdesk demo``: it stops by itself with --duration, and the jobs it made are kept."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from jobdesk.cli.demo_workers import FIRST_BURST
from jobdesk.server.config import ServerConfig
from jobdesk.server.embedded import EmbeddedServer
from jobdesk.server.tokens import create_token
from tests.cli.conftest import Cli, run_jobdesk


def stored_jobs(db: Path) -> dict[str, dict[str, object]]:
    """The jobs in a demo's database, read through a fresh server on it."""
    token = create_token(db, "viewer", "checker")
    with EmbeddedServer(ServerConfig(db_path=db, port=0)) as server:
        response = httpx.get(f"{server.url}/api/jobs", headers={"Authorization": f"Bearer {token}"})
    response.raise_for_status()
    return {job["id"]: job for job in response.json()["jobs"]}


def test_demo_runs_for_its_duration_and_keeps_its_jobs(cli: Cli, tmp_path: Path) -> None:
    db = tmp_path / "demo" / "jobdesk.db"
    result = cli(
        "demo", "--duration", "3", "--db", str(db), "--json", "--seed", "7", "--pace", "0.3"
    )
    assert result.code == 0, result.err
    lines = [json.loads(line) for line in result.out.splitlines()]
    printed = {line["id"] for line in lines}
    assert len(printed) >= FIRST_BURST
    assert str(db) in result.err  # where the database is, said up front and at the end
    assert "Traceback" not in result.err
    kept = stored_jobs(db)
    assert printed <= set(kept)
    owners = {job["owner"] for job in kept.values()}
    assert owners & {"files-worker", "analysis-worker", "agent-runner", "mailer"}


def test_demo_table_view_in_a_real_process(tmp_path: Path) -> None:
    db = tmp_path / "jobdesk.db"
    done = run_jobdesk(
        "demo", "--terminal", "--duration", "2", "--db", str(db), "--seed", "1", timeout=60
    )
    assert done.returncode == 0, done.stderr
    assert "status" in done.stdout  # the table's header, printed when the view stops
    assert "demo stopped after" in done.stderr
    assert stored_jobs(db)
