"""A token bucket: how many things may happen at once, and how many per second after.

Pure arithmetic on the times it is given, so the server's limits (WebSocket messages,
ping frames) are tested without sleeping.
"""

from __future__ import annotations


class TokenBucket:
    """``burst`` events at once, refilled at ``rate`` per second up to ``burst``."""

    __slots__ = ("_at", "_tokens", "burst", "rate")

    def __init__(self, rate: float, burst: int) -> None:
        if rate <= 0 or burst < 1:
            raise ValueError("a token bucket needs a positive rate and a burst of at least 1")
        self.rate = rate
        self.burst = burst
        self._tokens = float(burst)
        self._at: float | None = None

    def wait(self, now: float) -> float:
        """Seconds from ``now`` until ``take`` would succeed (0: it would now)."""
        tokens = self._tokens
        if self._at is not None:
            tokens = min(self.burst, tokens + (now - self._at) * self.rate)
        return 0.0 if tokens >= 1 else (1 - tokens) / self.rate

    def take(self, now: float) -> bool:
        """Spend one token at time ``now`` (seconds, any monotonic origin); False when
        none is left, which spends nothing."""
        if self._at is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
