"""Waiting for a condition with a deadline, instead of sleeping a fixed time."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable


def wait_for(condition: Callable[[], bool], within: float = 10.0) -> None:
    """Poll ``condition`` until it holds; fail the test after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {within} s")
        time.sleep(0.01)


async def eventually(condition: Callable[[], bool], within: float = 10.0) -> None:
    """``wait_for`` for coroutines: polls without blocking the event loop."""
    deadline = time.monotonic() + within
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {within} s")
        await asyncio.sleep(0.005)


async def eventually_async(condition: Callable[[], Awaitable[bool]], within: float = 10.0) -> None:
    """``eventually`` for a condition that must itself await (an HTTP request, say)."""
    deadline = time.monotonic() + within
    while not await condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met in {within} s")
        await asyncio.sleep(0.05)
