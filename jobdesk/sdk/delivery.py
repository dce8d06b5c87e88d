"""How reports are delivered, as steps: the loop a client's sender runs (a thread in
``sender``, a task in ``asender``), written once.

One delivery serves many reporters, sending a round of everyone's due reports as one
batch request (see ``batching``); or it serves one reporter, sending its reports one
request each (``batch=False``, and any server without the batch endpoint).

A transient failure keeps the round and sends it again, unchanged (the same
``Idempotency-Key``), after a rest; a refusal ends delivery for the job it concerns.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from contextlib import nullcontext
from typing import TYPE_CHECKING, Any

from jobdesk.sdk import batching
from jobdesk.sdk.batching import Round
from jobdesk.sdk.errors import UNAVAILABLE, SdkError
from jobdesk.sdk.retry import RetryPolicy, rest_between_rounds
from jobdesk.sdk.steps import Steps, Wait

if TYPE_CHECKING:
    from jobdesk.sdk.reporting import ReporterBase

log = logging.getLogger("jobdesk.sdk")


class Delivery:
    """The state a sender keeps, and its loop; its shell guards both (a lock, or one
    event loop) and tells waiters through ``changed``."""

    def __init__(self, policy: RetryPolicy, *, batch: bool, changed: Callable[[], None]) -> None:
        self.policy = policy
        self.batch = batch
        """Send rounds as batch requests (False: one request per report)."""
        self.changed = changed
        """Wakes everyone waiting on the shared state: the sender and the flushes."""
        self.flush_calls = 0
        self.stopping = False
        self._waiting: dict[ReporterBase, None] = {}
        """Reporters with something queued or in flight, in the order they asked."""
        self._retry: Round | None = None

    def wake(self, reporter: ReporterBase) -> bool:
        """``reporter`` has something to send, or a flush is waiting; False once stopping."""
        if self.stopping:
            return False
        self._waiting[reporter] = None
        self.changed()
        return True

    def stop(self) -> None:
        """Stop sending; what is queued stays unsent."""
        self.stopping = True
        self.changed()

    def run(self) -> Steps[None]:
        """The sender's life: wait for a round, deliver it, until stopped."""
        try:
            while (round_ := (yield from self._next_round())) is not None:
                yield from self._deliver(round_)
        except Exception as exc:  # a bug here must not leave flush() waiting forever
            log.exception("jobdesk: reporter sender crashed")
            crashed = SdkError("UNKNOWN_ERROR", f"reporter sender crashed: {exc!r}")
            for reporter in list(self._waiting):
                reporter._give_up(crashed)
            self.changed()

    def _next_round(self) -> Steps[Round | None]:
        while not self.stopping:
            if self._retry is not None:
                again, self._retry = self._retry, None
                return again
            due, wait = batching.due_now(self._waiting, time.monotonic())
            if due:
                return batching.take(self._waiting, due, batch=self.batch)
            yield Wait(wait)
        return None

    def _deliver(self, round_: Round) -> Steps[None]:
        if round_.call is None:
            yield from self._deliver_each(round_)
            return
        try:
            answer = yield round_.call
        except SdkError as exc:
            if exc.code == UNAVAILABLE:
                self._retry = round_
                log.warning(
                    "jobdesk: updates of %d jobs not delivered yet: %s", len(round_.parts), exc
                )
                for part in round_.parts:
                    part.reporter._note_failure(exc, quiet=True)
                self.changed()
                yield from self._rest()
            elif batching.endpoint_missing(exc):
                log.info("jobdesk: the server has no batch endpoint; one request per report")
                self.batch = False
            else:  # the whole request refused (a bad token, say): each job hears why
                for part in round_.parts:
                    part.reporter._give_up(exc)
                self.changed()
            return
        batching.settle(round_, answer)
        self.changed()

    def _deliver_each(self, round_: Round) -> Steps[None]:
        for part in round_.parts:
            reporter = part.reporter
            while reporter._sending and not reporter._closed and not self.stopping:
                pending = reporter._sending[0]
                try:
                    yield reporter._call(pending)
                except SdkError as exc:
                    if exc.code != UNAVAILABLE:
                        reporter._give_up(exc)
                        self.changed()
                        break
                    reporter._note_failure(exc)
                    self.changed()
                    yield from self._rest()
                    return
                if reporter._sending and reporter._sending[0] is pending:
                    reporter._sending.pop(0)
                self.changed()

    def _rest(self) -> Steps[None]:
        """The retry policy gave up: rest until the next round is due, or a new flush asks
        for one at once."""
        asked = self.flush_calls
        deadline = time.monotonic() + rest_between_rounds(self.policy)
        while not self.stopping and self.flush_calls == asked:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            yield Wait(left)


class SenderBase:
    """What both senders are besides how they run: a delivery, a name, a cap."""

    def __init__(self, shell: Any, *, batch: bool, name: str = "", limit: Any = None) -> None:
        """``limit``: the client's cap on requests in flight, shared by the senders that
        each serve one reporter (see ``CONCURRENT_SENDS``)."""
        self.shell = shell
        self.delivery = Delivery(shell.policy, batch=batch, changed=self._changed)
        self._limit = limit if limit is not None else nullcontext()
        self._name = name or "jobdesk-sender"

    def _changed(self) -> None:
        """Wake everyone waiting on the shared state (the shell's way)."""
        raise NotImplementedError
