"""The reconnect delays as numbers: bounds, jitter, cap, and the reset rule."""

from __future__ import annotations

import random

import pytest

from jobdesk.core.backoff import Backoff, ReconnectPolicy, Verdict


def test_ceilings_double_from_one_second_up_to_the_cap() -> None:
    backoff = Backoff(rng=random.Random(1))
    ceilings = []
    for _ in range(8):
        ceilings.append(backoff.ceiling())
        backoff.next_delay()
    assert ceilings == [1, 2, 4, 8, 16, 30, 30, 30]


def test_delays_are_full_jitter_within_each_ceiling() -> None:
    for seed in range(50):
        backoff = Backoff(rng=random.Random(seed))
        for attempt in range(10):
            ceiling = backoff.ceiling()
            delay = backoff.next_delay()
            assert 0 <= delay <= ceiling, (seed, attempt)


def test_jitter_spreads_delays_across_the_whole_range() -> None:
    rng = random.Random(7)
    firsts = [Backoff(rng=rng).next_delay() for _ in range(2000)]
    assert min(firsts) < 0.05
    assert max(firsts) > 0.95
    assert 0.45 < sum(firsts) / len(firsts) < 0.55  # uniform on [0, 1] has mean 0.5


def test_the_cap_holds_however_many_failures() -> None:
    backoff = Backoff(rng=random.Random(3))
    delays = [backoff.next_delay() for _ in range(200)]
    assert max(delays) <= 30
    assert max(delays[-50:]) > 20  # still jittered up to the cap, not stuck low


def test_only_a_stable_authenticated_connection_resets() -> None:
    policy = ReconnectPolicy(backoff=Backoff(rng=random.Random(0)), stable_after=10.0)
    for _ in range(4):
        policy.delay(Verdict.RETRY)
    assert policy.backoff.attempts == 4
    policy.connection_ended(authenticated_at=None, ended_at=100.0)  # never authenticated
    policy.connection_ended(authenticated_at=100.0, ended_at=100.5)  # accepted, then dropped
    assert policy.backoff.attempts == 4
    assert policy.backoff.ceiling() == 16
    policy.connection_ended(authenticated_at=100.0, ended_at=110.0)  # up for 10 s
    assert policy.backoff.attempts == 0
    assert policy.backoff.ceiling() == 1


def test_a_server_that_accepts_then_refuses_cannot_make_us_spin() -> None:
    """Each handshake succeeds and the socket drops at once: the waits still grow."""
    policy = ReconnectPolicy(backoff=Backoff(rng=random.Random(5)))
    clock, handshakes = 0.0, 0
    while clock < 60.0:
        handshakes += 1
        policy.connection_ended(authenticated_at=clock, ended_at=clock + 0.01)
        clock += 0.01 + policy.delay(Verdict.RETRY)
    assert handshakes < 15


@pytest.mark.parametrize(
    ("kwargs", "verdict"),
    [
        ({"auth_failed": True}, Verdict.GIVE_UP),
        ({"close_code": 1008}, Verdict.GIVE_UP),
        ({"http_status": 401}, Verdict.GIVE_UP),
        ({"http_status": 403}, Verdict.GIVE_UP),
        ({"close_code": 1001}, Verdict.RETRY_SOON),
        ({"close_code": 1012}, Verdict.RETRY_SOON),
        ({"close_code": 1006}, Verdict.RETRY),
        ({"close_code": 1011}, Verdict.RETRY),
        ({"close_code": 1013}, Verdict.RETRY),
        ({"http_status": 503}, Verdict.RETRY),
        ({}, Verdict.RETRY),
    ],
)
def test_verdicts(kwargs: dict[str, object], verdict: Verdict) -> None:
    assert ReconnectPolicy().verdict(**kwargs) is verdict  # type: ignore[arg-type]


def test_going_away_retries_soon_without_growing_the_backoff() -> None:
    policy = ReconnectPolicy(backoff=Backoff(rng=random.Random(2)), soon_max=2.0)
    delays = [policy.delay(Verdict.RETRY_SOON) for _ in range(100)]
    assert all(0.5 <= d <= 2.0 for d in delays)
    assert policy.backoff.attempts == 0
