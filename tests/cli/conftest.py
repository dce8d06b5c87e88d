"""Fixtures of the command-line tests: a clean environment and an in-process runner."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from jobdesk.cli.main import main
from tests.conftest import RunningServer

ENV_VARS = ("JOBDESK_URL", "JOBDESK_TOKEN", "JOBDESK_DB", "JOBDESK_DEBUG")


@dataclass(frozen=True)
class Result:
    code: int
    out: str
    err: str

    @property
    def error_line(self) -> str:
        """The one stderr line a failing command prints (asserted to be exactly one)."""
        lines = self.err.splitlines()
        assert len(lines) == 1, f"expected one line on stderr, got {lines!r}"
        assert lines[0].startswith("jobdesk: error: "), lines[0]
        return lines[0]


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No JOBDESK_* from the developer's shell, and no default database in their home."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))


class Cli:
    def __init__(self, capsys: pytest.CaptureFixture[str]) -> None:
        self._capsys = capsys

    def __call__(self, *argv: str) -> Result:
        self._capsys.readouterr()
        code = main(list(argv))
        captured = self._capsys.readouterr()
        return Result(code, captured.out, captured.err)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Cli:
    """Run ``jobdesk ARGS...`` in this process; returns exit code, stdout and stderr."""
    return Cli(capsys)


@pytest.fixture
def as_worker(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    """The environment a worker's shell script has: JOBDESK_URL and JOBDESK_TOKEN."""
    monkeypatch.setenv("JOBDESK_URL", server.url)
    monkeypatch.setenv("JOBDESK_TOKEN", server.tokens["worker"])
    return server


def subprocess_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ENV_VARS}
    return {**env, "PYTHONUNBUFFERED": "1", **extra}


def run_jobdesk(
    *argv: str, env: dict[str, str] | None = None, timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """``python -m jobdesk ARGS...`` as a real process (the installed script is slower),
    with ``env`` added to a copy of this environment without its JOBDESK_* variables."""
    return subprocess.run(
        [sys.executable, "-m", "jobdesk", *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=subprocess_env(**(env or {})),
        check=False,
    )


@pytest.fixture
def as_operator(server: RunningServer, monkeypatch: pytest.MonkeyPatch) -> RunningServer:
    """The server the ``jobdesk`` commands of this test talk to, with an operator's token
    (``JOBDESK_URL``, ``JOBDESK_TOKEN``)."""
    monkeypatch.setenv("JOBDESK_URL", server.url)
    monkeypatch.setenv("JOBDESK_TOKEN", server.tokens["operator"])
    return server
