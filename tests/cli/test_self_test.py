"""``jobdesk --self-test``: ok on a working install, a clear line when something fails,
and nothing of the user's touched."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.cli.conftest import run_jobdesk, subprocess_env


def _isolated(home: Path) -> dict[str, str]:
    return {
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "QT_QPA_PLATFORM": "offscreen",
    }


def test_the_self_test_runs_a_job_through_server_queue_and_monitor(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    done = run_jobdesk("--self-test", env=_isolated(home), timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("jobdesk self-test: ok (jobdesk ")
    assert "shown completed" in done.stdout
    assert "propagateSizeHints" not in done.stderr
    assert list(home.iterdir()) == []  # no saved servers, layout or database of the user's


def test_a_failing_self_test_says_what_failed_and_exits_1(tmp_path: Path) -> None:
    code = "from jobdesk.cli.self_test import run_self_test; raise SystemExit(run_self_test(0.01))"
    done = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=120,
        env=subprocess_env(**_isolated(tmp_path)),
        check=False,
    )
    assert done.returncode == 1
    assert "jobdesk self-test: FAILED: no completed job in the monitor within 0.01 s" in done.stderr
