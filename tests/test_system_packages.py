"""tests/system_packages.py against this machine's real dpkg: what it finds installed,
what it would install, and the command it gives a user who is not root."""

from __future__ import annotations

import os

import pytest

from tests.system_packages import require

NOT_ROOT = 1000


@pytest.fixture
def not_root(monkeypatch: pytest.MonkeyPatch) -> None:
    """As a user: anything missing fails the test instead of being installed."""
    monkeypatch.setattr(os, "geteuid", lambda: NOT_ROOT)


@pytest.mark.usefixtures("not_root")
def test_what_is_there_needs_nothing() -> None:
    require({"dpkg": "dpkg"}, ["dpkg", "jobdesk-no-such-package | dpkg"])


@pytest.mark.usefixtures("not_root")
def test_a_user_is_told_the_command_for_what_is_missing() -> None:
    with pytest.raises(pytest.fail.Exception) as failed:
        require(
            {"dpkg": "dpkg", "jobdesk-no-such-program": "jobdesk-program-package"},
            ["jobdesk-first | jobdesk-second", "dpkg"],
        )
    message = str(failed.value)
    assert message.endswith(
        "run  sudo apt-get -o DPkg::Lock::Timeout=600 -y -qq install --no-install-recommends "
        "jobdesk-first jobdesk-program-package"
    ), message
