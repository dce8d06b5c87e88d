"""The ETA from progress history."""

from __future__ import annotations

import pytest

from jobdesk.core.eta import ProgressHistory, format_duration


def test_a_steady_rate_gives_the_remaining_time() -> None:
    history = ProgressHistory()
    for second in range(10):
        history.add(float(second), second * 2.0)  # 2 % per second
    assert history.rate() == pytest.approx(2.0)
    assert history.eta_seconds(18.0) == pytest.approx(41.0)


def test_no_movement_means_no_estimate() -> None:
    history = ProgressHistory()
    assert history.eta_seconds(0) is None
    history.add(0.0, 10.0)
    history.add(5.0, 10.0)
    assert history.eta_seconds(10.0) is None


def test_progress_going_back_starts_over() -> None:
    history = ProgressHistory()
    history.add(0.0, 50.0)
    history.add(1.0, 60.0)
    history.add(2.0, 5.0)  # a retry started from scratch
    assert list(history.samples) == [(2.0, 5.0)]
    assert history.rate() is None


@pytest.mark.parametrize(
    ("seconds", "text"), [(5, "5 s"), (59, "59 s"), (600, "10 min"), (7500, "2 h 5 min")]
)
def test_format_duration(seconds: float, text: str) -> None:
    assert format_duration(seconds) == text
