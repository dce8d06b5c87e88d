"""The retry policy as pure numbers: backoff growth, its cap, jitter, and giving up."""

from __future__ import annotations

import pytest

from jobdesk.sdk import RetryPolicy
from jobdesk.sdk.retry import (
    MIN_REST,
    backoff_delay,
    is_retryable_status,
    rest_between_rounds,
    should_retry,
)

POLICY = RetryPolicy(max_attempts=5, base_delay=0.1, max_delay=1.0, max_elapsed=10.0, jitter=0.5)


def test_backoff_doubles_then_caps_without_jitter() -> None:
    delays = [backoff_delay(POLICY, attempt, rand=0.0) for attempt in range(1, 7)]
    assert delays == pytest.approx([0.1, 0.2, 0.4, 0.8, 1.0, 1.0])


def test_jitter_shortens_a_wait_by_at_most_its_share() -> None:
    assert backoff_delay(POLICY, 3, rand=0.999) == pytest.approx(0.4 * (1 - 0.5 * 0.999))
    assert backoff_delay(POLICY, 3, rand=0.5) == pytest.approx(0.3)


def test_gives_up_after_max_attempts() -> None:
    assert should_retry(POLICY, attempt=4, elapsed=0.0, delay=0.1)
    assert not should_retry(POLICY, attempt=5, elapsed=0.0, delay=0.1)


def test_gives_up_rather_than_wait_past_max_elapsed() -> None:
    assert should_retry(POLICY, attempt=1, elapsed=9.0, delay=1.0)
    assert not should_retry(POLICY, attempt=1, elapsed=9.5, delay=1.0)


def test_only_gateway_answers_are_transient() -> None:
    assert [s for s in (400, 404, 409, 429, 500, 502, 503, 504) if is_retryable_status(s)] == [
        502,
        503,
        504,
    ]


def test_background_rest_has_a_floor() -> None:
    assert rest_between_rounds(RetryPolicy(max_delay=0.0)) == MIN_REST
    assert rest_between_rounds(RetryPolicy(max_delay=7.0)) == 7.0


@pytest.mark.parametrize(
    "kwargs",
    [{"max_attempts": 0}, {"base_delay": -1.0}, {"jitter": 1.5}],
)
def test_nonsense_policies_are_refused(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]
