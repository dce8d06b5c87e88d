"""The steps the SDK's core asks its shells to take: the sans-I/O protocol of the SDK.

Everything the SDK decides (what to send, when to retry, when a reporter's queue is
due, which job a worker hands out next) is written once, as generators that ``yield``
a step and are resumed with its outcome. They never touch a socket, a thread or an
event loop. Two thin shells take the steps: the thread shell (``JobdeskClient``) and
the asyncio shell (``AsyncJobdeskClient``); each knows how to send a request and how to
wait in its own world, and nothing else (see docs/sdk.md).

The steps:

- a ``Call`` (``jobdesk.sdk.wire``): send it with retries; the generator is resumed with
  the decoded answer, or an ``SdkError`` is thrown into it;
- ``Attempt``: send one HTTP request, no retries; resumed with the ``httpx.Response`` or
  the ``httpx.HTTPError`` it ended with (as a value, not raised);
- ``Sleep``: wait that long unless the waiting party is being stopped; resumed with
  True to go on, False to stop;
- ``Wait``: wait until the shared state changes (a shell's ``changed()``), or ``seconds``
  pass (None: no limit); resumed with None. A thread shell takes it without letting go of
  its lock between the check that led to it and the wait, so no change is missed.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Generator
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from jobdesk.sdk.retry import RetryPolicy
from jobdesk.sdk.wire import Call

R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class Attempt:
    call: Call[Any]


@dataclass(frozen=True, slots=True)
class Sleep:
    seconds: float


@dataclass(frozen=True, slots=True)
class Wait:
    seconds: float | None = None


Step = Call[Any] | Attempt | Sleep | Wait
Steps = Generator[Step, Any, R]
"""A piece of the core: yields steps, returns its result."""


def advance(steps: Steps[R], outcome: Any, failure: BaseException | None) -> Step:
    """Resume ``steps`` with an outcome, or throw ``failure`` into it; StopIteration
    carries its result when it is done (both shells' drivers loop on this)."""
    if failure is not None:
        return steps.throw(failure)
    return steps.send(outcome)


CONCURRENT_SENDS: Final = 16
"""Most requests a client's reporters have in flight at once when each sends its own:
a thousand reporters queueing at once in httpx's connection pool made each request
scan all the others (httpcore matches every queued request to every connection), and a
worker with 1,000 jobs got 140 updates/s through."""


class ShellBase:
    """What both shells hold: the connection pool, the retry policy, the cap."""

    _http_class: Callable[..., Any]
    """``httpx.Client`` or ``httpx.AsyncClient``."""
    _semaphore_class: Callable[[int], Any]

    def __init__(
        self, http: Any, policy: RetryPolicy, rng: Callable[[], float] = random.random
    ) -> None:
        self.http = http
        self.policy = policy
        self._rng = rng
        self.limit = self._semaphore_class(CONCURRENT_SENDS)
        """The cap on requests in flight of the reporters that each send their own."""

    @classmethod
    def connect(cls, transport: Any, options: dict[str, Any], policy: RetryPolicy) -> Any:
        """A shell on a new httpx client of its kind, with ``options`` and ``transport``."""
        return cls(cls._http_class(transport=transport, **options), policy)
