"""The background thread that delivers what sync reporters queue (see ``batching``).

One per client, shared by its reporters, sending a round of everyone's due reports as
one batch request; or one per reporter, sending its reports one request each
(``JobdeskClient(batch=False)``, and any server without the batch endpoint).

A transient failure keeps the round and sends it again, unchanged (the same
``Idempotency-Key``), after a rest; a refusal ends delivery for the job it concerns.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import TYPE_CHECKING, Final

from jobdesk.sdk import batching
from jobdesk.sdk.batching import Round
from jobdesk.sdk.errors import UNAVAILABLE, SdkError
from jobdesk.sdk.retry import rest_between_rounds
from jobdesk.sdk.transport import SyncTransport

if TYPE_CHECKING:
    from jobdesk.sdk.reporter import JobReporter

log = logging.getLogger("jobdesk.sdk")
JOIN_TIMEOUT: Final = 30.0
"""Longest ``stop`` waits for the thread to finish a request it is in."""
CONCURRENT_SENDS: Final = 16
"""Most requests a client's reporters have in flight at once when each sends its own:
a thousand reporters queueing at once in httpx's connection pool made each request
scan all the others (httpcore matches every queued request to every connection), and a
worker with 1,000 jobs got 140 updates/s through."""


class Sender:
    def __init__(
        self,
        transport: SyncTransport,
        *,
        batch: bool,
        name: str = "",
        limit: threading.BoundedSemaphore | None = None,
    ) -> None:
        self.transport = transport
        self.batch = batch
        """Send rounds as batch requests (False: one request per report)."""
        self._limit = limit
        """Shared by a client's one-request-per-report senders (see ``CONCURRENT_SENDS``)."""
        self.cond = threading.Condition()
        """Guards the reporters' queues too: they share it with their sender."""
        self.flush_calls = 0
        self._name = name or "jobdesk-sender"
        self._waiting: dict[JobReporter, None] = {}
        """Reporters with something queued or in flight, in the order they asked."""
        self._retry: Round | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def wake(self, reporter: JobReporter) -> None:
        """``reporter`` has something to send, or a flush is waiting (lock held)."""
        if self._stop.is_set():
            return
        self._waiting[reporter] = None
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
            self._thread.start()
        self.cond.notify_all()

    def stop(self) -> None:
        """Stop sending (what is queued stays unsent); waits for a request in flight."""
        with self.cond:
            self._stop.set()
            self.cond.notify_all()
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(JOIN_TIMEOUT)

    def pause(self, seconds: float) -> bool:
        return not self._stop.wait(seconds)

    # --- the thread --------------------------------------------------------------------

    def _run(self) -> None:
        try:
            while (round_ := self._next_round()) is not None:
                self._deliver(round_)
        except Exception as exc:  # a bug here must not leave flush() waiting forever
            log.exception("jobdesk: reporter thread crashed")
            crashed = SdkError("UNKNOWN_ERROR", f"reporter thread crashed: {exc!r}")
            with self.cond:
                for reporter in list(self._waiting):
                    reporter._give_up(crashed)
                self.cond.notify_all()

    def _next_round(self) -> Round | None:
        """Wait until something is due; None when the sender stops."""
        with self.cond:
            while not self._stop.is_set():
                if self._retry is not None:
                    again, self._retry = self._retry, None
                    return again
                due, wait = batching.due_now(self._waiting, time.monotonic())
                if due:
                    return batching.take(self._waiting, due, batch=self.batch)
                self.cond.wait(wait)
            return None

    def _deliver(self, round_: Round) -> None:
        if round_.call is None:
            self._deliver_each(round_)
            return
        try:
            answer = self.transport.send(round_.call, pause=self.pause)
        except SdkError as exc:
            with self.cond:
                if exc.code == UNAVAILABLE:
                    self._retry = round_
                    log.warning(
                        "jobdesk: updates of %d jobs not delivered yet: %s", len(round_.parts), exc
                    )
                    for part in round_.parts:
                        part.reporter._note_failure(exc, quiet=True)
                    self.cond.notify_all()
                    self._rest()
                elif batching.endpoint_missing(exc):
                    log.info("jobdesk: the server has no batch endpoint; one request per report")
                    self.batch = False
                else:  # the whole request refused (a bad token, say): each job hears why
                    for part in round_.parts:
                        part.reporter._give_up(exc)
                    self.cond.notify_all()
            return
        with self.cond:
            batching.settle(round_, answer)
            self.cond.notify_all()

    def _deliver_each(self, round_: Round) -> None:
        for part in round_.parts:
            reporter = part.reporter
            while True:
                with self.cond:
                    if not reporter._sending or reporter._closed or self._stop.is_set():
                        break
                    pending = reporter._sending[0]
                call = reporter._call(pending)
                try:
                    if self._limit is None:
                        self.transport.send(call, pause=self.pause)
                    else:
                        with self._limit:
                            self.transport.send(call, pause=self.pause)
                except SdkError as exc:
                    with self.cond:
                        if exc.code != UNAVAILABLE:
                            reporter._give_up(exc)
                            self.cond.notify_all()
                            break
                        reporter._note_failure(exc)
                        self.cond.notify_all()
                        self._rest()
                    return
                with self.cond:
                    if reporter._sending and reporter._sending[0] is pending:
                        reporter._sending.pop(0)
                    self.cond.notify_all()

    def _rest(self) -> None:
        """The retry policy gave up: rest until the next round is due, or a new flush asks
        for one at once (lock held)."""
        asked = self.flush_calls
        deadline = time.monotonic() + rest_between_rounds(self.transport.policy)
        while not self._stop.is_set() and self.flush_calls == asked:
            left = deadline - time.monotonic()
            if left <= 0:
                return
            self.cond.wait(left)
