"""A real, throw-away Linux desktop for one test: Xvfb (the screen), a private D-Bus
session bus, openbox (a window manager), trayer (a tray host, so the monitor's tray icon
can show), dunst (a freedesktop notification daemon) and dbus-monitor logging every
``org.freedesktop.Notifications`` call.

The project's own, so a clone anywhere runs its tests. Missing Debian packages are
installed by tests/system_packages.py (as root; otherwise the test fails with the
command that would install them).
"""

from __future__ import annotations

import contextlib
import os
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.system_packages import require

PROGRAMS = {
    "Xvfb": "xvfb",
    "openbox": "openbox",
    "trayer": "trayer",
    "dunst": "dunst",
    "dbus-daemon": "dbus-daemon",
    "dbus-monitor": "dbus-bin",
    "dbus-send": "dbus-bin",
    "xdotool": "xdotool",
    "import": "imagemagick",
}
"""A program the desktop needs, and the Debian package it comes in."""
QT_XCB_PACKAGES = (
    "libxcb-cursor0", "libxkbcommon-x11-0", "libxcb-icccm4", "libxcb-keysyms1",
    "libxcb-image0", "libxcb-render-util0", "libxcb-xinerama0", "libxcb-shape0",
    "libegl1", "libgl1", "fonts-dejavu-core",
)  # fmt: skip
"""What Qt's xcb platform plugin loads, and a font."""
SIZE = "1440x900"


@dataclass
class Desktop:
    env: dict[str, str]
    """The environment a program on this desktop runs with (DISPLAY, the session bus)."""
    notify_log: Path

    def screenshot(self, path: Path) -> None:
        subprocess.run(
            ["import", "-window", "root", str(path)], env=self.env, check=True, timeout=60
        )

    def shows_window(self, title: str) -> bool:
        """A window titled exactly ``title`` is mapped on the screen."""
        answer = subprocess.run(
            ["xdotool", "search", "--onlyvisible", "--name", f"^{re.escape(title)}$"],
            env=self.env, capture_output=True, text=True, check=False, timeout=30,
        )  # fmt: skip
        return bool(answer.stdout.strip())


def _wait_for(condition: Any, what: str, within: float = 120.0) -> None:
    """A deadline, not a measure: with the cores busy (two desktops at once in the suite)
    the tray host was seen taking over 30 s to map its window."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the test desktop's {what} did not start within {within:g} s")
        time.sleep(0.05)


@contextlib.contextmanager
def real_desktop(folder: Path) -> Iterator[Desktop]:
    """Start the desktop, logs in ``folder``; stop all of it on the way out."""
    require(PROGRAMS, QT_XCB_PACKAGES)
    started: list[subprocess.Popen[Any]] = []

    def start(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
        log = (folder / f"{name}.log").open("wb")
        process = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        started.append(process)
        return process

    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "WAYLAND_DISPLAY")}
    bus_pid: int | None = None
    try:
        # -displayfd: Xvfb picks a free display and writes its number once it accepts
        # connections (a display chosen by looking for free sockets raced, and a socket
        # that exists is not yet a server that answers)
        with (folder / "xvfb.log").open("wb") as log:
            screen = subprocess.Popen(
                ["Xvfb", "-displayfd", "1", "-screen", "0", f"{SIZE}x24", "-nolisten", "tcp"],
                stdout=subprocess.PIPE,
                stderr=log,
                text=True,
            )
        started.append(screen)
        assert screen.stdout is not None
        number = screen.stdout.readline().strip()
        screen.stdout.close()  # it writes nothing more there
        if not number.isdigit():
            raise RuntimeError(f"Xvfb did not start: see {folder / 'xvfb.log'}")
        env["DISPLAY"] = f":{number}"
        bus = subprocess.run(
            ["dbus-daemon", "--session", "--fork", "--print-address=1", "--print-pid=1"],
            capture_output=True,
            text=True,
            check=True,
            timeout=10,
        ).stdout.split()
        env["DBUS_SESSION_BUS_ADDRESS"], bus_pid = bus[0], int(bus[1])
        start("openbox", ["openbox"], env)
        tray: list[subprocess.Popen[bytes]] = []

        def tray_shown() -> bool:
            """Its window is up; a tray host that exited first is started again (seen
            once in a busy suite run: the window never came, and waiting longer for a
            process that is gone cannot help)."""
            if _has_window(env, "trayer")():
                return True
            if not tray or tray[-1].poll() is not None:
                tray.append(start(f"trayer-{len(tray)}", TRAYER, env))
            return False

        _wait_for(tray_shown, "tray host")
        start("dunst", ["dunst"], env)
        notify_log = folder / "notify.log"
        log = notify_log.open("wb")
        monitor = subprocess.Popen(
            ["dbus-monitor", "--session", "interface='org.freedesktop.Notifications'"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        started.append(monitor)
        _wait_for(lambda: notify_log.stat().st_size > 0, "notification log")
        _wait_for(_name_owned(env, "org.freedesktop.Notifications"), "notification daemon")
        yield Desktop(env, notify_log)
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                process.kill()
        if bus_pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(bus_pid, 15)


TRAYER = ["trayer", "--edge", "top", "--align", "right", "--widthtype", "pixel",
          "--width", "240", "--height", "28"]  # fmt: skip


def _has_window(env: dict[str, str], window_class: str) -> Any:
    """A check that a window of ``window_class`` is on the screen."""

    def shown() -> bool:
        answer = subprocess.run(
            ["xdotool", "search", "--class", window_class],
            env=env, capture_output=True, text=True, check=False, timeout=5,
        )  # fmt: skip
        return bool(answer.stdout.strip())

    return shown


def _name_owned(env: dict[str, str], name: str) -> Any:
    """A check that ``name`` has an owner on the session bus (dunst took it)."""

    def owned() -> bool:
        answer = subprocess.run(
            ["dbus-send", "--session", "--print-reply", "--dest=org.freedesktop.DBus",
             "/org/freedesktop/DBus", "org.freedesktop.DBus.NameHasOwner", f"string:{name}"],
            env=env, capture_output=True, text=True, check=False, timeout=5,
        )  # fmt: skip
        return "boolean true" in answer.stdout

    return owned
