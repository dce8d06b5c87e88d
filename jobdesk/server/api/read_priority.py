"""Writes before reads on the one event loop: reads take turns, and wait for writes.

A request costs the loop about half a millisecond before its handler even runs
(routing, the token, dependencies), a page of a list as much again, and a write passes
through the loop several times (its request, the commit, its answer). With four viewers
looping over the lists, several of their requests were ready to run at each of those
passes, and progress writes' p99 latency rose to 2.3-2.9 times its idle value
(docs/benchmarks.md, ``lists``). So, in ``ReadPriority``:

- reads (GET, HEAD, OPTIONS) are handled one at a time: a read holds the turn from the
  moment it is let in until its answer starts, so a write waits behind one read at
  most, not a burst of them; the body goes out without the turn, so a client that reads
  its answer slowly holds no one up;
- the requests that may write (any other method) are counted from their start to their
  answer, and a read whose turn comes while any is in flight waits until none is, at
  most ``MAX_WAIT_S``: a steady stream of writes slows reads down by that much, and
  never stops them. A claim is not counted: it may wait a minute for work, and would
  hold every read back meanwhile.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any, Final

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Receive, Scope, Send

MAX_WAIT_S: Final = 0.01
"""How long a read waits at most for the writes in flight."""
_READS: Final = frozenset({"GET", "HEAD", "OPTIONS"})
_WAITS_FOR_WORK: Final = frozenset({"/api/queue/claim"})


class ReadPriority:
    """One app's writes in flight; ``middleware`` is its Litestar middleware.

    Litestar builds a middleware stack per route, so the count lives here, shared by all
    of them, not in the stack each route gets."""

    def __init__(self) -> None:
        self._writes = 0
        self._idle: asyncio.Event | None = None
        """Set while no write is in flight (made in the server's loop, on first use)."""
        self._turn: asyncio.Lock | None = None
        """Held by the one read being handled, until its answer starts."""

    def _no_writes(self) -> asyncio.Event:
        if self._idle is None:
            self._idle = asyncio.Event()
            self._idle.set()
        return self._idle

    async def _read(self, app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
        if self._turn is None:
            self._turn = asyncio.Lock()
        turn = self._turn
        await turn.acquire()
        held = True

        def release() -> None:
            nonlocal held
            if held:
                held = False
                turn.release()

        async def answer(message: Any) -> None:
            if message["type"] == "http.response.start":
                release()  # the body goes out without the turn: a slow client holds none
            await send(message)

        try:
            idle = self._no_writes()
            if not idle.is_set():
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(MAX_WAIT_S):
                        await idle.wait()
            await app(scope, receive, answer)
        finally:
            release()

    def middleware(self, app: ASGIApp) -> ASGIApp:
        async def prioritized(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP or scope["path"] in _WAITS_FOR_WORK:
                await app(scope, receive, send)
            elif scope["method"] in _READS:
                await self._read(app, scope, receive, send)
            else:
                self._writes += 1
                self._no_writes().clear()
                try:
                    await app(scope, receive, send)
                finally:
                    self._writes -= 1
                    if self._writes == 0:
                        self._no_writes().set()

        return prioritized
