"""The thread shell: takes the core's steps (see ``steps``) in the calling thread.

A Call is sent with httpx's blocking client, a Sleep is a wait the caller can cut
short, a Wait is a wait on the condition the core's state is guarded by. With a
condition, the core's code runs holding it and lets go only while a request is in
flight or a wait is on, so the sender's thread and the reporting threads never see the
state half changed.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from typing import Any, TypeVar

import httpx

from jobdesk.sdk.errors import SdkError
from jobdesk.sdk.steps import Attempt, ShellBase, Sleep, Step, Steps, Wait, advance
from jobdesk.sdk.transport import exchange
from jobdesk.sdk.wire import Call

R = TypeVar("R")
Pause = Callable[[float], bool]
"""Waits the given seconds; False means stop now (the party waiting is closing)."""


def sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return True


class ThreadShell(ShellBase):
    """One client's connection pool and retry policy, for any number of threads."""

    http: httpx.Client
    _http_class = httpx.Client
    _semaphore_class = threading.BoundedSemaphore

    def close(self) -> None:
        self.http.close()

    def send(self, call: Call[R], pause: Pause = sleep) -> R:
        """``call``'s answer, retried as the policy allows; raises its SdkError."""
        return self.run(exchange(call, self.policy, self._rng), pause=pause)

    def run(
        self,
        steps: Steps[R],
        *,
        pause: Pause = sleep,
        cond: threading.Condition | None = None,
        limit: AbstractContextManager[Any] | None = None,
    ) -> R:
        """Take ``steps`` to their end and return their result.

        ``cond`` guards the state the steps change; ``limit`` is held around each Call
        (a client's cap on requests in flight)."""
        outcome: Any = None
        failure: BaseException | None = None
        while True:
            try:
                step = self._next(steps, outcome, failure, cond)
            except StopIteration as done:
                return done.value  # type: ignore[no-any-return]
            outcome, failure = self._take(step, pause, limit)

    @staticmethod
    def _next(
        steps: Steps[R],
        outcome: Any,
        failure: BaseException | None,
        cond: threading.Condition | None,
    ) -> Step:
        with cond if cond is not None else nullcontext():
            step = advance(steps, outcome, failure)
            while isinstance(step, Wait):
                assert cond is not None, "a Wait needs the condition it waits on"
                cond.wait(step.seconds)
                step = advance(steps, None, None)
            return step

    def _take(
        self, step: Step, pause: Pause, limit: AbstractContextManager[Any] | None
    ) -> tuple[Any, BaseException | None]:
        if isinstance(step, Sleep):
            return pause(step.seconds), None
        if isinstance(step, Attempt):
            try:
                return self.http.send(step.call.build(self.http)), None
            except httpx.HTTPError as exc:
                return exc, None
        assert isinstance(step, Call)
        try:
            with limit if limit is not None else nullcontext():
                return self.send(step, pause), None
        except SdkError as exc:
            return None, exc
