"""Notification choices survive a restart; a bad file falls back to the defaults."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from jobdesk.client.preferences import Preferences
from jobdesk.core.notify_policy import NotifySettings


def test_choices_round_trip(tmp_path: Path) -> None:
    prefs = Preferences(tmp_path)
    assert prefs.load_notify() == NotifySettings()
    chosen = replace(
        NotifySettings(),
        started=True,
        stalled=True,
        stall_minutes=5,
        retrying=True,
        job_types=frozenset({"a"}),
    )
    prefs.save_notify(chosen)
    assert Preferences(tmp_path).load_notify() == chosen


@pytest.mark.parametrize("content", ["{not json", '{"notifications": []}', "[]"])
def test_an_unreadable_file_means_defaults(
    tmp_path: Path, content: str, caplog: pytest.LogCaptureFixture
) -> None:
    prefs = Preferences(tmp_path)
    prefs.path.write_text(content)
    assert prefs.load_notify() == NotifySettings()
    assert "ignoring" in caplog.text
    assert prefs.path.read_text() == content  # nothing overwritten behind the operator's back


def test_the_pace_is_a_setting_with_defaults(tmp_path: Path) -> None:
    prefs = Preferences(tmp_path)
    defaults = NotifySettings()
    assert (defaults.summary_interval, defaults.rate_burst, defaults.rate_interval) == (60, 3, 15)
    assert defaults.stalled
    prefs.path.write_text(
        '{"notifications": {"summary_interval": 120, "rate_burst": 2, "rate_interval": -1}}'
    )
    loaded = prefs.load_notify()
    assert (loaded.summary_interval, loaded.rate_burst) == (120, 2)
    assert loaded.rate_interval == 15  # a negative interval is refused, the default kept


def test_unacknowledged_failures_round_trip(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    prefs = Preferences(tmp_path)
    assert prefs.load_unacknowledged() == []
    prefs.save_unacknowledged([("prod", "j1"), ("prod", "j3")], servers=["prod"])
    prefs.save_unacknowledged([("demo", "j2")], servers=["demo"])  # another monitor's
    assert Preferences(tmp_path).load_unacknowledged() == [
        ("prod", "j1"),
        ("prod", "j3"),
        ("demo", "j2"),
    ]
    prefs.save_unacknowledged([("prod", "j3")], servers=["prod", "gone"])
    assert prefs.load_unacknowledged() == [("demo", "j2"), ("prod", "j3")]
    prefs.unacknowledged_path.write_text('{"unacknowledged": [["only one"]]}')
    assert prefs.load_unacknowledged() == []
    assert "ignoring" in caplog.text
