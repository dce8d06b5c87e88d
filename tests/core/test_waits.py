"""wait_set: an event with a time limit that never loses its task's cancellation."""

from __future__ import annotations

import asyncio

from jobdesk.core.waits import wait_set


async def test_true_when_set_false_when_the_time_is_up() -> None:
    event = asyncio.Event()
    assert not await wait_set(event, 0.01)
    asyncio.get_running_loop().call_soon(event.set)
    assert await wait_set(event, 60)
    assert await wait_set(event, 0)  # already set: no wait at all


async def test_a_loop_cancelled_as_its_event_is_set_still_ends() -> None:
    """asyncio.wait_for on Python 3.11 returned normally here, and the loop ran on."""
    event = asyncio.Event()
    rounds = 0

    async def follow_forever() -> None:
        nonlocal rounds
        while True:
            await wait_set(event, 60)
            event.clear()
            rounds += 1

    task = asyncio.create_task(follow_forever())
    await asyncio.sleep(0)  # it waits now
    event.set()
    task.cancel()  # in the same step: the wait's end and the cancellation meet
    done, _ = await asyncio.wait({task}, timeout=30)
    assert done == {task}
    assert task.cancelled()
    assert rounds == 0
