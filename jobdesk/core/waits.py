"""Waiting for an event with a time limit, without losing a cancellation.

``asyncio.wait_for(event.wait(), t)`` is the obvious way, and on Python 3.11 it is
wrong inside a loop: when the event is set at the moment the waiting task is cancelled,
``wait_for`` returns normally and the cancellation is gone. A loop around it then runs
on, and whoever awaits the cancelled task waits forever (seen here: a PostgreSQL
replica's feed follower, woken by its own commits' hints, held ``stop()`` for good).
``asyncio.timeout`` counts cancellations and re-raises the one that was not its own.
"""

from __future__ import annotations

import asyncio


async def wait_set(event: asyncio.Event, seconds: float | None) -> bool:
    """Wait until ``event`` is set (True) or ``seconds`` pass (False; None: no
    limit). A cancellation of the waiting task always propagates."""
    if event.is_set():
        return True
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
