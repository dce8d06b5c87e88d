"""A minute of the demo on a real desktop (``tests.gui.desktop``: Xvfb, a tray host, dunst,
dbus-monitor logging every ``Notify``), at 2.5 times the demo's pace: at most 8
notifications in any minute, and every job that failed in the server's database during
the checked minute is named in one of them (alone or in a summary). Quitting withdraws
them. What the issue asked of quiet notifications, checked on the real daemon."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import msgspec

from jobdesk.protocol import Job, Status
from jobdesk.protocol.timestamps import parse_timestamp
from tests.gui.desktop import real_desktop
from tests.system_packages import may_install

RUN_FOR = 135
"""Seconds of demo: the window shows and loads, then a minute whose failures are checked,
then the minute their summary may take."""
TOLD_BY = 60
"""Failures that ended this long before the demo stopped must have been told by then (a
folded one waits for the next summary, at most a minute)."""
MAX_PER_MINUTE = 8

CALL = re.compile(r"^method call time=(?P<time>[\d.]+) .*member=Notify$", re.MULTILINE)


def notify_calls(log: str) -> list[tuple[float, str]]:
    """(time, the call's text: app name, title, body…) of each ``Notify`` call."""
    starts = list(CALL.finditer(log))
    ends = [m.start() for m in starts[1:]] + [len(log)]
    return [(float(m["time"]), log[m.start() : end]) for m, end in zip(starts, ends, strict=True)]


def failed_jobs(db: Path) -> list[Job]:
    with sqlite3.connect(db) as connection:
        rows = connection.execute(
            "select data from jobs where status in (?, ?)", (Status.FAILED, Status.CANCELLED)
        ).fetchall()
    return [msgspec.json.decode(data, type=Job) for (data,) in rows]


def seconds(timestamp: str) -> float:
    return parse_timestamp(timestamp).timestamp()


@may_install  # the first run installs the desktop's Debian packages
def test_a_demo_minute_is_quiet_and_tells_every_failure(tmp_path: Path) -> None:
    db, output_path = tmp_path / "demo.db", tmp_path / "demo.log"
    with real_desktop(tmp_path) as desktop, output_path.open("w") as output:
        env = {**desktop.env, "XDG_CONFIG_HOME": str(tmp_path / "config")}  # default settings
        demo = subprocess.run(
            [sys.executable, "-m", "jobdesk", "demo", "--duration", str(RUN_FOR),
             "--seed", "3", "--pace", "0.4", "--db", str(db)],
            env=env, stdout=output, stderr=subprocess.STDOUT, timeout=RUN_FOR + 180,
            check=False,
        )  # fmt: skip
        stopped = time.time()
        log = desktop.notify_log.read_text(errors="replace")
    assert demo.returncode == 0, output_path.read_text(errors="replace")
    calls = [(t, text) for t, text in notify_calls(log) if 'string "jobdesk"' in text]
    assert calls, log[-2000:]
    first = min(t for t, _ in calls)
    for start, _ in calls:
        within = [t for t, _ in calls if start <= t < start + 60]
        assert len(within) <= MAX_PER_MINUTE, [text for t, text in calls if t in within]
    told = "\n".join(text for _, text in calls)
    failed = failed_jobs(db)
    assert failed, "the demo had no failures: nothing was checked"
    ended = [
        j
        for j in failed
        if j.finished_at and first - 2 < seconds(j.finished_at) < stopped - TOLD_BY
    ]  # from the first notice (before it, the monitor was loading: history, not news)
    assert ended, "no failure in the checked minute: nothing was checked"
    missing = [j.name for j in ended if j.name not in told]
    assert not missing, (missing, told[-3000:])
    # quitting withdrew what it left on screen (dunst keeps a critical notice until then)
    assert "member=CloseNotification" in log[CALL.search(log).start() :]  # type: ignore[union-attr]
