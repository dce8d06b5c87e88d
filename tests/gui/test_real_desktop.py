"""The demo on a real desktop: Xvfb, a window manager, a tray host and a notification
daemon (``tests.gui.desktop``). The tray icon must show, a real freedesktop
Notify call must arrive when a job fails, and a screenshot of the window is kept."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.gui.desktop import Desktop, real_desktop
from tests.polling import wait_for
from tests.system_packages import may_install

PAINTED_BYTES = 20_000
"""A screenshot this big is a real picture of the window; a blank screen is 500 bytes."""


@may_install  # the first run installs the desktop's Debian packages
def test_demo_on_a_real_desktop(tmp_path: Path) -> None:
    shot, log = tmp_path / "monitor.png", tmp_path / "demo.log"
    with real_desktop(tmp_path) as desktop, log.open("w") as output:
        demo = subprocess.Popen(
            [sys.executable, "-m", "jobdesk", "demo", "--duration", "18", "--pace", "0.3",
             "--seed", "1", "--db", str(tmp_path / "demo.db")],
            env=desktop.env, stdout=output, stderr=subprocess.STDOUT,
        )  # fmt: skip
        try:
            # the window while the demo runs (it quits 18 s after showing it), once painted
            wait_for(lambda: ended(demo) or desktop.shows_window("jobdesk"), within=120)
            wait_for(lambda: ended(demo) or painted(desktop, shot), within=120)
            demo.wait(timeout=120)
        finally:
            if not ended(demo):
                demo.kill()
                demo.wait()
        calls = desktop.notify_log.read_text(errors="replace")
    err = log.read_text(errors="replace")
    assert demo.returncode == 0, err
    assert "jobdesk: tray icon shown" in err
    assert "member=Notify" in calls
    # a failure arrives alone ("Failed: name") or inside a burst summary ("1 failed")
    assert re.search(r'string "[^"]*\b[Ff]ailed\b[^"]*"', calls), calls[-2000:]
    assert shot.exists(), "the demo ended before its window showed"
    assert shot.stat().st_size > PAINTED_BYTES, "no screenshot showed the window painted"
    keep = os.environ.get("JOBDESK_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "monitor.png")


def ended(process: subprocess.Popen[bytes]) -> bool:
    return process.poll() is not None


def painted(desktop: Desktop, shot: Path) -> bool:
    """Screenshot the screen into ``shot``: does it show the window drawn?"""
    desktop.screenshot(shot)
    return shot.stat().st_size > PAINTED_BYTES
