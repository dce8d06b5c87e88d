"""Estimating when a job will finish, from how its progress has moved.

A straight line through recent (time, progress) samples: robust enough for a status
panel, and honest about not knowing (None) until progress has actually moved.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field


@dataclass
class ProgressHistory:
    window: int = 30
    """Samples kept; older movement says little about the current rate."""
    samples: deque[tuple[float, float]] = field(default_factory=deque)

    def add(self, when: float, percent: float) -> None:
        if self.samples and percent < self.samples[-1][1]:
            self.samples.clear()  # progress went back (a retry): start over
        if self.samples and self.samples[-1][1] == percent:
            return  # no movement: the rate estimate would only get noisier
        self.samples.append((when, percent))
        while len(self.samples) > self.window:
            self.samples.popleft()

    def rate(self) -> float | None:
        """Percent per second by least squares, or None without enough movement."""
        if len(self.samples) < 2:
            return None
        n = len(self.samples)
        mean_t = sum(t for t, _ in self.samples) / n
        mean_p = sum(p for _, p in self.samples) / n
        var = sum((t - mean_t) ** 2 for t, _ in self.samples)
        if var <= 0:
            return None
        slope = sum((t - mean_t) * (p - mean_p) for t, p in self.samples) / var
        return slope if slope > 0 else None

    def eta_seconds(self, percent: float) -> float | None:
        """Seconds until 100 % at the current rate."""
        rate = self.rate()
        if rate is None or percent >= 100:
            return None
        return (100.0 - percent) / rate


def format_duration(seconds: float) -> str:
    """``45 s``, ``12 min``, ``2 h 5 min``: an ETA needs no more precision."""
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes = seconds / 60
    if minutes < 60:
        return f"{minutes:.0f} min"
    hours, rest = divmod(int(minutes), 60)
    return f"{hours} h {rest} min"
