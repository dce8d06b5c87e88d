"""The Debian packages a test needs, installed by the test run itself.

``git clone`` and ``uv run pytest`` on a fresh Debian is the whole setup: a test that
needs a program from a Debian package (desktop-file-validate, gio, makensis, Xvfb, ...)
or a package as such (Qt's xcb libraries, the .deb's Depends) calls :func:`require`
first. What is missing is installed with apt-get when the tests run as root; otherwise
the test fails with the command that installs it. It never skips.

Several pytest-xdist workers may need packages at the same moment, and apt and dpkg take
one writer at a time, so every ``apt-get update`` and ``install`` runs under one file
lock (fcntl) shared by all workers, and apt waits for dpkg's own lock
(``DPkg::Lock::Timeout``) should anything else on the machine hold it. Once a worker
has the lock it reads again from dpkg what is missing: what another worker installed
meanwhile is not installed twice, and a worker whose needs were met while it waited
runs no apt at all. ``apt-get update`` runs once per test session: the marker file
holds the session's id (pytest-xdist's, shared by its workers).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path

import pytest

LOCK = Path(tempfile.gettempdir()) / "jobdesk-tests-apt.lock"
UPDATED = Path(tempfile.gettempdir()) / "jobdesk-tests-apt.updated"
"""Holds the id of the test session that last ran ``apt-get update``."""
APT = ["apt-get", "-o", "DPkg::Lock::Timeout=600", "-y", "-qq"]
APT_TIMEOUT_S = 1000
may_install = pytest.mark.timeout(APT_TIMEOUT_S + 200)
"""For a test that may install: apt on a busy machine, maybe behind another worker's
install, takes minutes, longer than the suite's usual per-test timeout."""

_present: set[str] = set()
"""Package groups this process already found installed (dpkg is asked once)."""


def require(programs: Mapping[str, str] | None = None, packages: Iterable[str] = ()) -> None:
    """Make sure each program of ``programs`` (its name -> the Debian package it comes
    in) is on PATH and each of ``packages`` is installed; ``"a | b"`` takes either and
    installs ``a``. Installs what is missing, or fails the test saying how to."""
    wanted = [*dict.fromkeys(packages)]
    wanted += [pkg for program, pkg in (programs or {}).items() if not shutil.which(program)]
    missing = _missing(wanted)
    if not missing:
        return
    install = [*APT, "install", "--no-install-recommends", *missing]
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.fail(
            f"these tests need Debian packages: run  sudo {' '.join(install)}", pytrace=False
        )
    with _exclusive():
        missing = _missing(wanted)  # another worker may have installed them meanwhile
        if missing:
            _update_once_per_session()
            _apt([*APT, "install", "--no-install-recommends", *missing])
    absent = [program for program in programs or {} if not shutil.which(program)]
    if absent or (missing := _missing(wanted)):
        pytest.fail(f"missing after apt-get install: {[*absent, *missing]}", pytrace=False)


def _missing(groups: Iterable[str]) -> list[str]:
    """The first alternative of each group of which no alternative is installed."""
    todo = [group for group in dict.fromkeys(groups) if group not in _present]
    if not todo:
        return []
    names = [name for group in todo for name in _alternatives(group)]
    installed = _installed(names)
    missing = []
    for group in todo:
        if installed.intersection(_alternatives(group)):
            _present.add(group)
        else:
            missing.append(_alternatives(group)[0])
    return missing


def _alternatives(group: str) -> list[str]:
    return [name.strip() for name in group.split("|")]


def _installed(names: list[str]) -> set[str]:
    if not shutil.which("dpkg-query"):
        return set()
    listed = subprocess.run(
        ["dpkg-query", "-W", "-f=${Package} ${db:Status-Status}\n", *names],
        capture_output=True, text=True, check=False, timeout=60,
    ).stdout  # fmt: skip
    return {line.split()[0] for line in listed.splitlines() if line.endswith(" installed")}


@contextlib.contextmanager
def _exclusive() -> Iterator[None]:
    with LOCK.open("a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _update_once_per_session() -> None:
    session = os.environ.get("PYTEST_XDIST_TESTRUNUID") or f"pid {os.getpid()}"
    with contextlib.suppress(OSError):
        if UPDATED.read_text() == session:
            return
    _apt([*APT, "update"])
    UPDATED.write_text(session)


def _apt(command: list[str]) -> None:
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    done = subprocess.run(
        command, env=env, capture_output=True, text=True, check=False, timeout=APT_TIMEOUT_S
    )
    if done.returncode != 0:
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        pytest.fail(f"{' '.join(command)} exited {done.returncode}:\n{tail}", pytrace=False)
