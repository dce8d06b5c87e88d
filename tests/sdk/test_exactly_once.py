"""Exactly once on one server (SQLite) with workers killed: see tests/sdk/exactly_once.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.sdk.exactly_once import SERVER_CONFIG, TIMEOUT_S, run_and_check, tokens_in
from tests.server.procserver import ServerProcess


@pytest.mark.timeout(TIMEOUT_S)
def test_every_job_ends_by_its_rules_and_is_done_exactly_once(tmp_path: Path) -> None:
    db_path = tmp_path / "jobdesk.db"
    operator, tokens = tokens_in(db_path)
    server = ServerProcess(db_path, config=SERVER_CONFIG)
    try:
        run_and_check([server.url], lambda: server.url, operator, tokens, tmp_path)
    finally:
        server.stop()
