"""``jobdesk token create``: the printed token is the only stdout, and the server takes it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Cli
from tests.conftest import RunningServer


@pytest.mark.parametrize("role", ["operator", "worker", "viewer"])
def test_a_created_token_is_accepted_by_the_server(
    cli: Cli, server: RunningServer, role: str
) -> None:
    result = cli(
        "token", "create", "--role", role, "--name", f"cli-{role}", "--db", str(server.db_path)
    )
    assert result.code == 0
    token = result.out.strip()
    assert result.out == token + "\n"
    assert token.startswith("jd_")
    assert token not in result.err  # the hint never repeats the secret
    assert "shown only once" in result.err
    response = httpx.get(f"{server.url}/api/jobs", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200


def test_the_role_is_what_the_server_enforces(cli: Cli, server: RunningServer) -> None:
    result = cli(
        "token", "create", "--role", "viewer", "--name", "screen", "--db", str(server.db_path)
    )
    token = result.out.strip()
    response = httpx.post(
        f"{server.url}/api/jobs", json={}, headers={"Authorization": f"Bearer {token}"}
    )
    assert response.status_code == 403


def test_an_unwritable_database_is_one_line_and_exit_1(cli: Cli, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    result = cli(
        "token", "create", "--role", "worker", "--name", "w", "--db", str(blocker / "x.db")
    )
    assert result.code == 1
    assert "cannot write the database" in result.error_line
    assert result.out == ""
