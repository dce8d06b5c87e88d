from __future__ import annotations

import pytest

from jobdesk.core.rate import TokenBucket


def test_a_burst_then_the_rate() -> None:
    bucket = TokenBucket(rate=2.0, burst=3)
    assert [bucket.take(0.0) for _ in range(4)] == [True, True, True, False]
    assert not bucket.take(0.4)  # 0.8 of a token refilled
    assert bucket.take(0.5)  # one whole token
    assert not bucket.take(0.5)


def test_refill_stops_at_the_burst() -> None:
    bucket = TokenBucket(rate=100.0, burst=2)
    assert bucket.take(0.0)
    assert [bucket.take(1000.0) for _ in range(3)] == [True, True, False]


def test_a_refused_take_spends_nothing() -> None:
    bucket = TokenBucket(rate=1.0, burst=1)
    assert bucket.take(0.0)
    for moment in (0.1, 0.2, 0.3):
        assert not bucket.take(moment)
    assert bucket.take(1.0)


@pytest.mark.parametrize(("rate", "burst"), [(0.0, 1), (-1.0, 1), (1.0, 0)])
def test_nonsense_is_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError, match="positive rate"):
        TokenBucket(rate, burst)


def test_wait_says_when_the_next_token_comes() -> None:
    bucket = TokenBucket(rate=0.5, burst=1)
    assert bucket.wait(0.0) == 0.0
    assert bucket.take(0.0)
    assert bucket.wait(0.5) == pytest.approx(1.5)
    assert bucket.wait(2.0) == 0.0
    assert bucket.take(2.0)
