"""How often the monitor may speak: a budget of notices, and a summary for the rest.

The policy decides what is news; this decides how it goes out, so that an operator can
still read the stream when a fleet finishes hundreds of jobs an hour:

- Every notice spends a token from one bucket (``rate_burst`` at once, then one per
  ``rate_interval`` seconds): defaults 3 and 15 s, at most 7 notices in any minute.
- Completions (and starts, retries) always wait for the summary.
- A failure or a stall goes out on its own when a token is left; otherwise it is folded
  into the summary, never dropped.
- The summary goes out at most once per ``summary_interval`` (60 s), as soon as a token
  allows: ``12 completed, 1 failed`` with every failure named. A summary of one event is
  that event's own notice.
- What a reconnect caught up on (the away notice) spends a token when one is left but
  is always shown: it comes once per reconnect.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from jobdesk.core.notice import EventKind, JobEvent, Notice, single, summary
from jobdesk.core.rate import TokenBucket

ALONE = frozenset({EventKind.FAILED, EventKind.STALLED})
"""What goes out on its own while the budget allows: what an operator must act on."""


class PaceSettings(Protocol):
    """The part of ``NotifySettings`` the pace follows."""

    @property
    def summary_interval(self) -> float: ...
    @property
    def rate_burst(self) -> int: ...
    @property
    def rate_interval(self) -> float: ...
    @property
    def stall_minutes(self) -> float: ...


class Pace:
    def __init__(self, settings: PaceSettings) -> None:
        self.settings = settings
        self._bucket = TokenBucket(1.0 / settings.rate_interval, settings.rate_burst)
        self._folded: list[JobEvent] = []
        """Waiting for the next summary, oldest first."""
        self._last_summary: float | None = None

    def reconfigure(self, settings: PaceSettings) -> None:
        """New settings: a new budget, what is folded stays folded."""
        if (settings.rate_burst, settings.rate_interval) != (
            self.settings.rate_burst,
            self.settings.rate_interval,
        ):
            self._bucket = TokenBucket(1.0 / settings.rate_interval, settings.rate_burst)
        self.settings = settings

    def offer(self, events: Sequence[JobEvent], now: float, *, show_server: bool) -> list[Notice]:
        """A finished burst: the notices that go out now; the rest wait for the summary."""
        out = []
        for event in events:
            if event.kind in ALONE and self._bucket.take(now):
                out.append(single(event, self.settings.stall_minutes, show_server=show_server))
            else:
                self._folded.append(event)
        return out

    def spend(self, now: float) -> None:
        """A notice that is shown whatever the budget (the away summary) spends a token too."""
        self._bucket.take(now)

    def summary_due(self, now: float) -> float | None:
        """When the summary may go out (a time, maybe past), or None: nothing is folded."""
        if not self._folded:
            return None
        at = now
        if self._last_summary is not None:
            at = max(now, self._last_summary + self.settings.summary_interval)
        return at + self._bucket.wait(at)

    def take_summary(self, now: float, *, show_server: bool) -> Notice | None:
        due = self.summary_due(now)
        if due is None or due > now or not self._bucket.take(now):
            return None
        events, self._folded = self._folded, []
        self._last_summary = now
        if len(events) == 1:
            return single(events[0], self.settings.stall_minutes, show_server=show_server)
        return summary(events, show_server=show_server)

    def clear(self) -> None:
        """Paused: what is folded is dropped with everything else pending."""
        self._folded.clear()
