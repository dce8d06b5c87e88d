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

from tests.gui.desktop import real_desktop
from tests.system_packages import may_install


@may_install  # the first run installs the desktop's Debian packages
def test_demo_on_a_real_desktop(tmp_path: Path) -> None:
    shot = tmp_path / "monitor.png"
    with real_desktop(tmp_path) as desktop:
        demo = subprocess.Popen(
            [sys.executable, "-m", "jobdesk", "demo", "--duration", "18", "--pace", "0.3",
             "--seed", "1", "--db", str(tmp_path / "demo.db")],
            env=desktop.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        try:
            out, err = demo.communicate(timeout=14)
        except subprocess.TimeoutExpired:
            desktop.screenshot(shot)  # the window while the demo runs
            out, err = demo.communicate(timeout=120)
        calls = desktop.notify_log.read_text(errors="replace")
    assert demo.returncode == 0, out + err
    assert "jobdesk: tray icon shown" in err
    assert "member=Notify" in calls
    # a failure arrives alone ("Failed: name") or inside a burst summary ("1 failed")
    assert re.search(r'string "[^"]*\b[Ff]ailed\b[^"]*"', calls), calls[-2000:]
    assert shot.stat().st_size > 20_000  # a real picture of the window, not a blank screen
    keep = os.environ.get("JOBDESK_SCREENSHOT_DIR")
    if keep:
        shutil.copy(shot, Path(keep) / "monitor.png")
