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
