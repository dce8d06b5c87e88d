"""The default database is one per-user file, so serve and token create agree on it."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from jobdesk.cli.paths import default_db_path

pytestmark = pytest.mark.skipif(sys.platform in ("win32", "darwin"), reason="XDG layout")


def test_jobdesk_db_wins(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JOBDESK_DB", str(tmp_path / "x.db"))
    assert default_db_path() == tmp_path / "x.db"


def test_xdg_data_home_is_used(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert default_db_path() == tmp_path / "jobdesk" / "jobdesk.db"


def test_a_relative_xdg_data_home_is_ignored(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert default_db_path() == tmp_path / ".local" / "share" / "jobdesk" / "jobdesk.db"


def test_without_a_home_the_current_directory_is_used(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def no_home() -> Path:
        raise RuntimeError("Could not determine home directory.")

    monkeypatch.setattr(Path, "home", no_home)
    monkeypatch.chdir(tmp_path)
    assert default_db_path() == tmp_path / "jobdesk.db"


def test_token_create_uses_the_default_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from jobdesk.cli.main import main

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert main(["token", "create", "--role", "viewer", "--name", "v"]) == 0
    assert (tmp_path / "jobdesk" / "jobdesk.db").is_file()
    assert str(tmp_path / "jobdesk" / "jobdesk.db") in capsys.readouterr().err
