"""``jobdesk token create``: the printed token is the only stdout, and the server takes it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from tests.cli.conftest import Cli
from tests.conftest import RunningServer
from tests.polling import wait_for


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


def test_list_shows_ids_names_and_roles_never_tokens(cli: Cli, server: RunningServer) -> None:
    result = cli("token", "list", "--db", str(server.db_path))
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0].split() == ["ID", "NAME", "ROLE", "CREATED"]
    names = {line.split()[1]: line.split()[2] for line in lines[1:]}
    assert names == {
        "ops": "operator",
        "worker-1": "worker",
        "worker-2": "worker",
        "viewer-1": "viewer",
    }
    assert not any(token in result.out for token in server.tokens.values())


def test_revoke_by_name_then_the_server_refuses_it(cli: Cli, server: RunningServer) -> None:
    result = cli("token", "revoke", "viewer-1", "--db", str(server.db_path))
    assert result.code == 0
    assert "revoked viewer token 'viewer-1'" in result.err
    headers = {"Authorization": f"Bearer {server.tokens['viewer']}"}
    wait_for(lambda: httpx.get(f"{server.url}/api/jobs", headers=headers).status_code == 401)
    again = cli("token", "revoke", "viewer-1", "--db", str(server.db_path))
    assert again.code == 1
    assert "no token named 'viewer-1'" in again.error_line


def test_a_taken_name_is_refused_with_how_to_replace_it(cli: Cli, server: RunningServer) -> None:
    result = cli(
        "token", "create", "--role", "worker", "--name", "worker-1", "--db", str(server.db_path)
    )
    assert result.code == 1
    assert "jobdesk token revoke worker-1" in result.error_line
    assert result.out == ""
