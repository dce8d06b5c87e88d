"""The demo on a real desktop: Xvfb, a window manager, a tray host and a notification
daemon (../shared/tools/desktop-session). The tray icon must show, a real freedesktop
Notify call must arrive when a job fails, and a screenshot of the window is kept."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

DESKTOP_SESSION = Path(__file__).resolve().parents[3] / "shared" / "tools" / "desktop-session"


@pytest.mark.timeout(600)  # the first run installs the desktop's Debian packages
def test_demo_on_a_real_desktop(tmp_path: Path) -> None:
    assert DESKTOP_SESSION.exists(), f"{DESKTOP_SESSION} is part of every checkout's shared/"
    shot = tmp_path / "monitor.png"
    notify_log = tmp_path / "notify.log"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # a real screen
    done = subprocess.run(
        [
            str(DESKTOP_SESSION),
            "--shot",
            f"{shot}@14",
            "--notify-log",
            str(notify_log),
            "--",
            sys.executable,
            "-m",
            "jobdesk",
            "demo",
            "--duration",
            "18",
            "--pace",
            "0.3",
            "--seed",
            "1",
            "--db",
            str(tmp_path / "demo.db"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=560,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "jobdesk: tray icon shown" in done.stderr
    calls = notify_log.read_text(errors="replace")
    assert "member=Notify" in calls
    # a failure arrives alone ("Failed: name") or inside a burst summary ("1 failed")
    assert re.search(r'string "[^"]*\b[Ff]ailed\b[^"]*"', calls), calls[-2000:]
    assert shot.stat().st_size > 20_000  # a real picture of the window, not a blank screen
    keep = os.environ.get("JOBDESK_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "monitor.png")
