"""Idempotency keys: a retried write whose answer was lost is answered, not done again.

A key is scoped by the caller's token, the method and the path: the same key on
``/progress`` and then on ``/complete`` is two requests (it was once taken for one, and
the complete was answered without completing). What is kept is only the answer a retry
gets (its status and body, ~100 bytes for most writes), for as long as a retry can come
(``--idempotency-window``, 5 minutes), and it is pruned as it expires. It was a whole job
snapshot with its log, for 24 hours: two workers logging 100 lines/s grew the database
by 1.4 MB/s.

A batch of reports keeps no answer: a log entry in it is marked done (an empty record
per entry), so a retried batch adds none of its log entries again and answers each
report from the job as it is; its progress is a level and is simply set again.
"""

from __future__ import annotations

import hashlib
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import msgspec

_encode = msgspec.json.Encoder().encode


@dataclass(frozen=True, slots=True)
class Remembered:
    """A kept answer: the HTTP status and the body the first request was answered with
    (a batch entry's mark has status 0 and no body)."""

    created_s: float
    status: int
    body: bytes


@dataclass(frozen=True)
class Once:
    """A write carrying an ``Idempotency-Key``, and how its answer is kept."""

    key: str
    """The scoped key's SHA-256: token, method, path and the client's key."""
    status: int
    answer: Callable[[Any], Any] | None
    """The response body (a wire struct) for the command's result; None for a batch,
    which marks its entries instead of keeping an answer."""

    @classmethod
    def of(
        cls,
        client_key: str | None,
        *,
        token: str,
        method: str,
        path: str,
        status: int,
        answer: Callable[[Any], Any] | None,
    ) -> Once | None:
        if client_key is None:
            return None
        scope = "\x00".join((token, method.upper(), path, client_key))
        return cls(hashlib.sha256(scope.encode()).hexdigest(), status, answer)

    def keep(self, result: Any, created_s: float) -> Remembered:
        assert self.answer is not None, "a batch keeps no answer"
        return Remembered(created_s, self.status, _encode(self.answer(result)))

    def entry(self, index: int) -> str:
        """The mark of a batch's ``index``-th report."""
        return f"{self.key}:{index}"


class Replayed(Exception):
    """The request was answered before: this is that answer, to send again as it was."""

    def __init__(self, remembered: Remembered) -> None:
        super().__init__("answered before")
        self.status = remembered.status
        self.body = remembered.body


class Answers:
    """The kept answers in memory, oldest first, so expiry pops from the front."""

    def __init__(self, records: Iterable[tuple[str, Remembered]] = ()) -> None:
        self._by_key: dict[str, Remembered] = {}
        self._order: deque[tuple[float, str]] = deque()
        for key, record in sorted(records, key=lambda kv: kv[1].created_s):
            self.add(key, record)

    def get(self, key: str) -> Remembered | None:
        return self._by_key.get(key)

    def add(self, key: str, record: Remembered) -> None:
        self._by_key[key] = record
        self._order.append((record.created_s, key))

    def forget_before(self, created_s: float) -> None:
        order = self._order
        while order and order[0][0] < created_s:
            _, key = order.popleft()
            record = self._by_key.get(key)
            if record is not None and record.created_s < created_s:
                del self._by_key[key]

    def __len__(self) -> int:
        return len(self._by_key)
