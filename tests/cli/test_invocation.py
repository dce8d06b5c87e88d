"""The command a hint tells a user to run in another terminal."""

from __future__ import annotations

from pathlib import Path

from jobdesk.cli.invocation import jobdesk_command


def test_a_source_checkout_needs_uv_run(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "jobdesk"\n')
    assert jobdesk_command(tmp_path / ".venv") == "uv run jobdesk"


def test_an_installed_jobdesk_is_on_the_path(tmp_path: Path) -> None:
    assert jobdesk_command(tmp_path / "venv") == "jobdesk"
    (tmp_path / "pyproject.toml").write_text('[project]\nname = "someone-else"\n')
    assert jobdesk_command(tmp_path / ".venv") == "jobdesk"


def test_this_checkout_is_one() -> None:
    """The tests run from this project's own environment (uv run pytest)."""
    assert jobdesk_command() == "uv run jobdesk"
