"""``jobdesk serve``: its failures to start are one line and exit 1.

Serving itself is the server's code (tests/server); what is the command line's is that
the flags reach the server's config, and that a busy port or a bad database path ends
in one readable line.
"""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from jobdesk.cli import serve
from jobdesk.cli.main import build_parser
from jobdesk.server.config import ServerConfig
from tests.cli.conftest import Cli, run_jobdesk


def test_a_busy_port_is_one_line_and_exit_1(tmp_path: Path) -> None:
    # A real process: run_server configures logging for the whole process, and a failed
    # bind leaves its socket to the garbage collector (a ResourceWarning here).
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = run_jobdesk("serve", "--port", str(port), "--db", str(tmp_path / "j.db"))
    assert done.returncode == 1
    last = done.stderr.splitlines()[-1]  # the server's own log lines come first
    assert last.startswith(f"jobdesk: error: cannot serve on 127.0.0.1:{port}")
    assert "Traceback" not in done.stderr


def test_a_database_that_is_a_directory_is_one_line_and_exit_1(tmp_path: Path) -> None:
    # A real process too: run_server configures logging for the whole process.
    done = run_jobdesk("serve", "--port", "0", "--db", str(tmp_path))
    assert done.returncode == 1
    assert done.stderr.splitlines()[-1].startswith(
        f"jobdesk: error: cannot open the database {tmp_path}"
    )
    assert "Traceback" not in done.stderr


def test_the_flags_reach_the_server_config(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[ServerConfig] = []
    monkeypatch.setattr("jobdesk.server.app.run_server", seen.append)
    result = cli(
        "serve",
        "--host", "0.0.0.0",
        "--port", "9000",
        "--db", str(tmp_path / "j.db"),
        "--stale-after", "30",
        "--timeout", "120.5",
        "--origin", "https://a.example/",
        "--origin", "http://b.example:8080",
        "--keep-alive", "30",
        "--backlog", "100",
        "--max-db-size", "1.5",
        "--storage-retry-after", "9",
    )  # fmt: skip
    assert result.code == 0
    (config,) = seen
    assert (config.host, config.port, config.db_path) == ("0.0.0.0", 9000, tmp_path / "j.db")
    assert (config.stale_after_s, config.timeout_s) == (30.0, 120.5)
    assert config.allowed_origins == frozenset({"https://a.example", "http://b.example:8080"})
    assert (config.keep_alive_s, config.backlog) == (30, 100)
    assert (config.max_db_bytes, config.storage_retry_after_s) == (1536 * 1024, 9)


def test_a_keep_alive_the_clients_would_race_is_refused(cli: Cli, tmp_path: Path) -> None:
    result = cli("serve", "--db", str(tmp_path / "j.db"), "--keep-alive", "5")
    assert result.code == 2
    assert "--keep-alive" in result.error_line


def test_the_default_database_is_the_per_user_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[ServerConfig] = []
    monkeypatch.setattr("jobdesk.server.app.run_server", seen.append)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    args = build_parser().parse_args(["serve"])
    assert serve.run(args) == 0
    assert seen[0].db_path == tmp_path / "jobdesk" / "jobdesk.db"
