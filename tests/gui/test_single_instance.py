"""One monitor per user: the lock is exclusive, a second launch's ``show`` reaches the
first, a crashed holder's lock and socket are taken over, and with real processes a
second ``jobdesk`` exits at once while the first says it was asked to show."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from jobdesk import APP_ID
from jobdesk.gui.app import _defer_to_running
from jobdesk.gui.single_instance import SingleInstance, runtime_dir, user_tag
from tests.polling import wait_for

REPO = Path(__file__).resolve().parents[2]
SHOWN = "jobdesk: shown at the request of a second launch"


@pytest.fixture
def runtime() -> Iterator[Path]:
    """A private runtime folder with a short path (a socket path has ~100 bytes)."""
    folder = Path(tempfile.mkdtemp(prefix="jd-"))
    yield folder
    shutil.rmtree(folder, ignore_errors=True)


def test_the_lock_is_exclusive_and_a_second_asks_the_first_to_show(
    qtbot: QtBot, runtime: Path
) -> None:
    first = SingleInstance("t", runtime)
    assert first.acquire()
    second = SingleInstance("t", runtime)
    assert not second.acquire()
    assert second.holder_pid() == os.getpid()
    with qtbot.waitSignal(first.show_requested, timeout=5000):
        assert second.request_show()
    other = SingleInstance("u", runtime)  # another key is another instance
    assert other.acquire()
    other.release()
    first.release()
    third = SingleInstance("t", runtime)
    assert third.acquire()  # released: the next start runs
    third.release()


def test_a_crashed_holders_lock_and_socket_are_taken_over(qtbot: QtBot, runtime: Path) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-m", "tests.gui.instance_holder", str(runtime), "t"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline() == "holding\n"
        assert not SingleInstance("t", runtime).acquire()  # alive: it holds the lock
    finally:
        holder.kill()
        holder.wait()
        assert holder.stdout is not None
        holder.stdout.close()
    name = f"{APP_ID}-{user_tag()}-t"
    assert (runtime / f"{name}.lock").exists()
    assert (runtime / f"{name}.socket").exists()
    first = SingleInstance("t", runtime)
    assert first.acquire()  # its pid is gone: the lock is stale
    assert first.holder_pid() == os.getpid()
    second = SingleInstance("t", runtime)
    assert not second.acquire()
    with qtbot.waitSignal(first.show_requested, timeout=5000):
        assert second.request_show()  # the crashed one's socket was replaced
    first.release()


def test_a_request_nobody_answers_gives_up(runtime: Path) -> None:
    first = SingleInstance("t", runtime)
    assert first.acquire()
    assert first._server is not None
    first._server.close()  # holding the lock, not listening: hung, or still starting
    second = SingleInstance("t", runtime)
    assert not second.acquire()
    assert not second.request_show(within=0.3)
    first.release()


def test_a_second_launch_that_cannot_reach_the_first_fails(
    runtime: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    first = SingleInstance("t", runtime)
    assert first.acquire()
    second = SingleInstance("t", runtime)
    assert not second.acquire()
    monkeypatch.setattr(second, "request_show", lambda: False)
    assert _defer_to_running(second) == 1
    assert f"already running (pid {os.getpid()}), but it did not answer" in capsys.readouterr().err
    first.release()


def test_the_runtime_folder_is_private(
    monkeypatch: pytest.MonkeyPatch, runtime: Path, tmp_path: Path
) -> None:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    assert runtime_dir() == runtime
    runtime.chmod(0o755)  # not private: not used
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    assert runtime_dir() == tmp_path / f"jobdesk-{user_tag()}"
    assert (tmp_path / f"jobdesk-{user_tag()}").stat().st_mode & 0o777 == 0o700


# --- real processes --------------------------------------------------------------------

BESIDE = """\
import sys
from pathlib import Path
from jobdesk.client.monitor import ServerProfile
from jobdesk.client.profiles import ProfileStore
from jobdesk.gui.app import run_monitor
profile = ServerProfile("demo", "http://127.0.0.1:9", "token")
sys.exit(run_monitor([profile], profile_store=ProfileStore(Path(sys.argv[1])), duration=0.5))
"""
"""A monitor on given servers, as ``jobdesk demo`` starts it."""


def monitor_env(home: Path, runtime: Path) -> dict[str, str]:
    """A user of its own: home, XDG folders and runtime folder; no display, no D-Bus."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("XDG_", "DBUS_"))}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        XDG_RUNTIME_DIR=str(runtime),
        QT_QPA_PLATFORM="offscreen",
        PYTHONPATH=str(REPO),
    )
    return env


def jobdesk(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobdesk", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_a_second_jobdesk_brings_the_first_forward_and_exits(tmp_path: Path, runtime: Path) -> None:
    env = monitor_env(tmp_path, runtime)
    socket = runtime / f"{APP_ID}-{user_tag()}.socket"
    log = tmp_path / "first.log"
    with log.open("w") as stderr:
        first = subprocess.Popen(
            [sys.executable, "-m", "jobdesk", "monitor", "--duration", "100"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    try:
        wait_for(lambda: socket.exists() or first.poll() is not None, within=60)
        assert first.poll() is None, log.read_text()

        second = jobdesk(env)
        assert second.returncode == 0, second.stderr
        assert (
            f"jobdesk: already running (pid {first.pid}); brought its window forward"
            in second.stderr
        )
        wait_for(lambda: SHOWN in log.read_text(), within=30)

        beside = subprocess.run(
            [sys.executable, "-c", BESIDE, str(tmp_path / "demo-config")],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert beside.returncode == 0, beside.stderr
        assert "already running" not in beside.stderr
        assert "jobdesk: no system tray here" in beside.stderr  # it ran its window

        first.kill()  # a crash: the lock and the socket stay behind
        first.wait()
        assert socket.exists()
        after = jobdesk(env, "monitor", "--duration", "0.5")
        assert after.returncode == 0, after.stderr
        assert "already running" not in after.stderr
        assert "jobdesk: no system tray here" in after.stderr
    finally:
        if first.poll() is None:
            first.kill()
            first.wait()
