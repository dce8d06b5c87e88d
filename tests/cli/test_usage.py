"""Help for every command, and bad command lines as one line on stderr with exit 2.

None of these need a server: a usage error must be caught before anything is sent.
"""

from __future__ import annotations

import pytest

from jobdesk import __version__
from tests.cli.conftest import Cli

COMMANDS = [
    ([], "serve"),
    (["serve"], "--stale-after"),
    (["token"], "create"),
    (["token", "create"], "--role"),
    (["job"], "JOBDESK_TOKEN"),
    (["job", "create"], "--metadata"),
    (["job", "progress"], "0 to 100"),
    (["job", "message"], "--level"),
    (["job", "complete"], "--result"),
    (["job", "fail"], "ERROR"),
    (["watch"], "--json"),
    (["history"], "--from"),
    (["monitor"], "--duration"),
    (["demo"], "--duration"),
]


@pytest.mark.parametrize(("command", "mentions"), COMMANDS)
def test_every_command_has_help(cli: Cli, command: list[str], mentions: str) -> None:
    result = cli(*command, "--help")
    assert result.code == 0
    assert result.out.startswith(f"usage: jobdesk {' '.join(command)}".rstrip())
    assert mentions in result.out
    assert result.err == ""


def test_no_arguments_opens_the_monitor_or_says_why_not(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"):
        monkeypatch.delenv(name, raising=False)
    result = cli()
    assert result.code == 1
    assert result.err.count("\n") == 1
    assert "no display to open the desktop monitor on" in result.err
    assert "jobdesk watch" in result.err


def test_version(cli: Cli) -> None:
    result = cli("--version")
    assert result.code == 0
    assert result.out.strip() == f"jobdesk {__version__}"


BAD = [
    (["job", "progress", "job_1", "120"], "argument PERCENT", "0 to 100"),
    (["job", "progress", "job_1", "-5"], "argument PERCENT", "0 to 100"),
    (["job", "progress", "job_1", "nan"], "argument PERCENT", "'nan'"),
    (["job", "progress", "job_1", "half"], "argument PERCENT", "'half'"),
    (["job", "create", "--metadata", "{bad"], "argument --metadata", "not valid JSON"),
    (["job", "create", "--metadata", "[1, 2]"], "argument --metadata", "JSON object"),
    (["job", "complete", "job_1", "--result", "{"], "argument --result", "not valid JSON"),
    (["job", "complete", "job_1", "--result", "NaN"], "argument --result", "not valid JSON"),
    (["job", "message", "job_1", "hi", "--level", "debug"], "argument --level", "invalid choice"),
    (["token", "create", "--role", "admin", "--name", "x"], "argument --role", "invalid choice"),
    (["token", "create", "--role", "worker", "--name", " "], "argument --name", "empty"),
    (["token", "create", "--name", "x"], "--role", "required"),
    (["serve", "--port", "70000"], "argument --port", "65535"),
    (["serve", "--stale-after", "0"], "argument --stale-after", "positive"),
    (["job", "create", "--retry-for", "-1"], "argument --retry-for", "0 or more"),
    (["history", "--from", "yesterday"], "argument --from", "YYYY-MM-DD"),
    (["history", "--limit", "0"], "argument --limit", "whole number"),
    (["job"], "COMMAND", "required"),
    (["frobnicate"], "invalid choice", "frobnicate"),
]


@pytest.mark.parametrize(("argv", "names", "says"), BAD)
def test_bad_input_is_one_line_and_exit_2(cli: Cli, argv: list[str], names: str, says: str) -> None:
    result = cli(*argv)
    assert result.code == 2
    line = result.error_line
    assert names in line
    assert says in line
    assert result.out == ""


@pytest.mark.parametrize(
    "argv",
    [
        ["job", "create"],
        ["job", "progress", "job_1", "50"],
        ["job", "fail", "job_1", "boom"],
        ["watch", "http://127.0.0.1:1"],
        ["history"],
    ],
)
def test_a_missing_token_names_the_environment_variable(cli: Cli, argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code == 2
    assert "JOBDESK_TOKEN" in result.error_line


def test_an_empty_token_variable_counts_as_missing(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "  ")
    result = cli("job", "create")
    assert result.code == 2
    assert "no token" in result.error_line


def test_a_url_without_http_is_refused(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_x")
    result = cli("job", "create", "--url", "localhost:8765")
    assert result.code == 2
    assert "http://" in result.error_line


def test_watch_refuses_a_url_it_cannot_use(cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JOBDESK_TOKEN", "jd_x")
    result = cli("watch", "ftp://example.com")
    assert result.code == 2
    assert "argument URL" in result.error_line
