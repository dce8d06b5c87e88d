"""The reporter's outbox: what is waiting to be sent, coalesced but in order.

Progress is a level, not an event: only the latest value of each target (the job's
overall progress, or one sub-operation's) matters, so consecutive progress calls fold
into one pending batch whatever their number. Log entries and pipeline declarations are
events: each is sent, and each is a barrier, so progress reported before a log entry
reaches the server before it and progress reported after it, after it.

When progress is sent: at once when the job sent nothing for ``interval`` seconds (so a
report after a quiet spell reaches the monitors in milliseconds), else ``interval`` after
the last send, with whatever folded in meanwhile (so a tight loop costs at most one
request per interval). Log entries are sent at once, taking pending progress with them.

Pure data with an injected clock value; the sync and async reporters add the locking.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from jobdesk.protocol.rest import MessageRequest, ProgressRequest
from jobdesk.sdk.calls import Body

log = logging.getLogger("jobdesk.sdk")

OVERALL = ""
"""The key of the job's own progress; sub-operation names are never empty."""


@dataclass
class _Batch:
    """Latest fraction per target, in the order each target was last set."""

    steps: dict[str, float] = field(default_factory=dict)
    message: str | None = None

    def bodies(self) -> list[ProgressRequest]:
        """Replaying the latest value per target, in last-set order, ends where the calls did.

        The job's progress is decided by the last call (its own value, or the weighted
        mean after a sub-operation), and that call stays last. The status message goes
        on the final request: the server keeps the last one it was given.
        """
        keys = list(self.steps)
        return [
            ProgressRequest(
                progress=self.steps[key],
                sub_operation=key or None,
                message=self.message if index == len(keys) - 1 else None,
            )
            for index, key in enumerate(keys)
        ]


class Outbox:
    def __init__(self, interval: float, max_events: int = 10_000) -> None:
        self.interval = interval
        """Least seconds between two sends of this job's progress."""
        self.max_events = max_events
        """Log entries kept while the server is unreachable; the oldest are dropped."""
        self.dropped = 0
        self._items: list[_Batch | Body] = []
        self._opened_at: float | None = None
        self._sent_at: float | None = None
        self._urgent = False
        self._events = 0

    def __bool__(self) -> bool:
        return bool(self._items)

    def progress(self, key: str, fraction: float, message: str | None, now: float) -> None:
        tail = self._items[-1] if self._items else None
        if not isinstance(tail, _Batch):
            tail = _Batch()
            self._items.append(tail)
        tail.steps.pop(key, None)
        tail.steps[key] = fraction
        if message is not None:
            tail.message = message
        if self._opened_at is None:
            self._opened_at = now

    def event(self, body: Body, now: float) -> None:
        """Queue a log entry or pipeline declaration; it is due at once."""
        self._items.append(body)
        self._urgent = True
        if self._opened_at is None:
            self._opened_at = now
        if isinstance(body, MessageRequest):
            self._events += 1
        if self._events > self.max_events:
            oldest = next(i for i, it in enumerate(self._items) if isinstance(it, MessageRequest))
            del self._items[oldest]
            self._events -= 1
            self.dropped += 1
            if self.dropped == 1:
                log.warning("jobdesk: server unreachable; dropping the oldest log entries")

    def due_in(self, now: float) -> float | None:
        """Seconds until the outbox should be sent (0: now), or None when it is empty."""
        if self._opened_at is None:
            return None
        if self._urgent or self._sent_at is None:
            return 0.0
        return max(0.0, self._sent_at + self.interval - now)

    def take(self, now: float) -> list[Body]:
        """Everything pending, as request bodies in send order; the outbox is then empty,
        and the next progress waits until ``interval`` after ``now``."""
        bodies: list[Body] = []
        for item in self._items:
            bodies.extend(item.bodies() if isinstance(item, _Batch) else [item])
        self.clear()
        self._sent_at = now
        return bodies

    def clear(self) -> None:
        self._items.clear()
        self._opened_at = None
        self._urgent = False
        self._events = 0
