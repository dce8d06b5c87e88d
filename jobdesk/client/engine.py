"""The engine: keeps one server's jobs in the store current, whatever the network does.

WebSocket push when it can; a polling fallback when the socket keeps failing; its own
reconnect backoff (reset only by a connection that proved stable); a fatal stop on
refused credentials until they change; and, after being away, a summary of what
changed meanwhile. No Qt here: the GUI and ``jobdesk watch`` both sit on it.

The engine is the same for every backend: what differs (the jobdesk server's
stream with replay, a seed backend's socket or its REST listing) is a ``Source``
(``jobdesk.client.sources``), chosen by the profile's kind, and the engine follows its
capabilities: no push, it polls; no listing, it never polls, unless the backend names
its own polling interval (seed 002 has no list but polls each tracked job).

The state it publishes is what the operator can trust, not only what the engine is
doing: a server that has said nothing for ``unreachable_after`` seconds is shown
OFFLINE ("not answering", with the age of its data) whatever the transport is doing.
A hung server (SIGSTOP) still accepts connections, so a reconnect could hang in its
handshake and a live socket could look healthy for a minute; the watch sees silence.

A profile may name several replicas of one cluster (a ``FailoverSource``): when a push
session fails (refused, closed, or silent for ``unreachable_after`` seconds, which the
silence watch then declares hung), the next attempt goes to the next URL in order. Within
one round of the URLs a failover is tried at once, without a backoff step; once every URL
of the round has failed, the usual backoff delay is waited, and grows, per round. A
connection that proved stable starts a new round (as it resets the backoff).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable, Mapping
from typing import Any

import httpx
from websockets.exceptions import ConnectionClosed, InvalidStatus, WebSocketException

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.errors import AuthRejected, EngineStopped, NotAnswering, ProtocolBroken
from jobdesk.client.kinds import DEFAULT_KIND, SourceContext, kind_of, make_source
from jobdesk.client.replicas import host_port
from jobdesk.client.settings import EngineSettings
from jobdesk.client.source import (
    FailoverSource,
    HistorySource,
    OverviewSource,
    PushSession,
    SessionHooks,
    Source,
    SubmitSource,
    Subscribed,
)
from jobdesk.core.away import AwaySummary, statuses, summarize
from jobdesk.core.backoff import Backoff, ReconnectPolicy, Verdict
from jobdesk.core.connection import ConnectionState, Transport
from jobdesk.core.history import HistoryFilter
from jobdesk.core.observable import Observable
from jobdesk.core.store import JobStore
from jobdesk.core.waits import wait_set
from jobdesk.protocol import Job, JobStats, JobSummary, Status
from jobdesk.protocol.overview import QueueOverview
from jobdesk.protocol.rest import CreateJobRequest, HistoryPage

log = logging.getLogger(__name__)
_NETWORK_ERRORS = (OSError, TimeoutError, WebSocketException, httpx.HTTPError, ProtocolBroken)
_HOPEFUL = frozenset({Transport.CONNECTING, Transport.LIVE, Transport.POLLING})
"""What the engine may be doing while the server has gone silent."""


def describe_failure(exc: BaseException) -> str:
    """A few words for the status line; the socket and the poller word one cause alike,
    so the same outage does not flip the state back and forth."""
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, NotAnswering):
        return "not answering"
    if isinstance(exc, httpx.ConnectError):
        return "cannot connect"
    if isinstance(exc, TimeoutError | httpx.TimeoutException):
        return "timed out"
    if isinstance(exc, ConnectionClosed | ConnectionError | httpx.RemoteProtocolError):
        return "connection lost"
    return str(exc) or type(exc).__name__


class Engine:
    def __init__(
        self,
        server: str,
        url: str,
        token: str,
        store: JobStore,
        *,
        settings: EngineSettings | None = None,
        rng: random.Random | None = None,
        wall: Callable[[], float] = time.time,
        batch: bool = True,
        kind: str = DEFAULT_KIND,
        options: Mapping[str, str] | None = None,
    ) -> None:
        self.server = server
        self._batch = batch
        """Ask the server for ``job_updates`` (many changes per frame); False only to
        compare with one frame per change (the benchmarks)."""
        self._url = url
        self._kind = kind
        self.capabilities: Capabilities = kind_of(kind).capabilities
        self._options = kind_of(kind).check_options(options or {})
        self._token = token
        self.store = store
        self.settings = settings or EngineSettings()
        self._rng = rng or random.Random()
        self._wall = wall
        s = self.settings
        self._policy = ReconnectPolicy(
            backoff=Backoff(s.backoff_initial, s.backoff_factor, s.backoff_cap, self._rng),
            stable_after=s.stable_after,
            soon_max=s.soon_max,
        )
        self.state: Observable[ConnectionState] = Observable(ConnectionState(Transport.CONNECTING))
        self.stats: Observable[JobStats | None] = Observable(None)
        self.handshakes = 0
        """WebSocket connection attempts so far (tests check the backoff with it)."""
        self._away_listeners: list[Callable[[AwaySummary], None]] = []
        self._away_before: dict[str, tuple[str, Status]] | None = None
        self._wake = asyncio.Event()
        self._auth_failed = False
        self._failures = 0
        self._down_since: float | None = None
        self._next_retry_at: float | None = None
        self._poller: asyncio.Task[None] | None = None
        self._poll_now = asyncio.Event()
        self._poll_ok = False
        self._polled = False
        """The current poller has polled at least once."""
        self._source: Source | None = None
        self._doing: tuple[Transport, str] = (Transport.CONNECTING, "")
        """What the engine is doing and why (the published state may say more)."""
        self._heard_at: float | None = None
        self._watching_since = wall()
        self._failover: FailoverSource | None = None
        """The source, when it has several URLs (replicas) to fail over between."""
        self._round = 0
        """Failed attempts in the current round of the replicas."""
        self._failover_note = ""
        """Why the engine left the last replica, said while it connects to the next."""
        self._session_started: float | None = None
        self._hung: asyncio.Future[None] | None = None
        """Set by the silence watch when the running push session has been silent too long
        (only with replicas: with one server there is nowhere else to go)."""
        self._subscribed_listeners: list[Callable[[Subscribed], None]] = []

    # --- what the GUI and the command line call ----------------------------------------

    def on_away(self, listener: Callable[[AwaySummary], None]) -> None:
        """Called after a reconnect or resync with the jobs that changed state meanwhile."""
        self._away_listeners.append(listener)

    def on_subscribed(self, listener: Callable[[Subscribed], None]) -> None:
        """Called each time a push session's subscription is answered: on which URL, and
        whether it resumed (``since``) or loaded every job again."""
        self._subscribed_listeners.append(listener)

    @property
    def url(self) -> str:
        """The URL in use: the profile's, or with replicas the one the engine is on now
        (or tries next). Requests made from above (operator actions) go there too."""
        failover = self._failover
        return self._url if failover is None else failover.url

    def set_token(self, token: str) -> None:
        """New credentials: after auth_failed this is the only thing that retries."""
        self._token = token
        if self._source is not None:
            self._source.set_token(token)
        self._auth_failed = False
        self._policy.backoff.reset()
        self._wake.set()

    def retry_now(self) -> None:
        """Skip the rest of the backoff wait (the operator pressed refresh)."""
        self._wake.set()
        self._poll_now.set()

    async def fetch_job(self, job_id: str) -> Job | None:
        """One job whole (log, sub-operations, payload, result, history), which the store's
        summaries leave out; None when the server has no such job. Raises
        ``AuthRejected``, ``httpx.HTTPError`` when the server cannot be reached or fails,
        and ``EngineStopped`` when the engine is not running."""
        if self._source is None:
            raise EngineStopped(f"{self.server} is not being watched")
        return await self._source.fetch_job(job_id)

    async def submit(self, request: CreateJobRequest) -> str:
        """Put a job on this backend; its id. ``SubmitError`` (seed 000's codes) when it
        made none, ``EngineStopped`` when not running or the backend cannot submit."""
        source = self._source
        if not isinstance(source, SubmitSource) or Can.SUBMIT not in self.capabilities:
            raise EngineStopped(f"{self.server} does not take jobs from this monitor")
        return await source.submit(request)

    async def fetch_overview(self) -> QueueOverview:
        """The server's workers and queues; raises as ``fetch_job`` does."""
        source = self._source
        if not isinstance(source, OverviewSource) or Can.WORKERS not in self.capabilities:
            raise EngineStopped(f"{self.server} is not being watched for its workers")
        return await source.fetch_overview()

    async def fetch_history(
        self, wanted: HistoryFilter, cursor: str | None = None
    ) -> HistoryPage[JobSummary]:
        """One page of the backend's history; raises as ``fetch_job`` does, and
        ``RequestRefused`` for a filter the backend refuses."""
        source = self._source
        if not isinstance(source, HistorySource) or Can.HISTORY not in self.capabilities:
            raise EngineStopped(f"{self.server} keeps no history jobdesk can read")
        return await source.fetch_history(wanted, cursor)

    async def run(self) -> None:
        """Run until cancelled."""
        context = SourceContext(self._url, self._token, self.settings, self._wall, self._batch)
        self._source = source = make_source(self._kind, context, self._options)
        if isinstance(source, FailoverSource) and len(source.urls) > 1:
            self._failover = source
        self._round = 0
        self._watching_since = self._wall()
        watch = asyncio.create_task(self._watch_silence(), name=f"silence {self.server}")
        try:
            while True:
                if self._auth_failed:
                    await self._wait_for_wake(None)
                elif Can.PUSH in self.capabilities:
                    await self._attempt()
                else:
                    await self._poll_only()
        finally:
            watch.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watch
            await self._stop_poller()
            source, self._source, self._failover = self._source, None, None
            await source.aclose()

    # --- the socket --------------------------------------------------------------------

    async def _attempt(self) -> None:
        assert self._source is not None
        self._next_retry_at = None  # trying now: there is no planned retry to count down to
        note, self._failover_note = self._failover_note, ""
        self._publish(Transport.POLLING if self._poll_ok else Transport.CONNECTING, note)
        hooks = SessionHooks(
            on_authenticated=self._stop_poller,
            on_synced=self._live,
            on_stats=self.stats.set,
            on_heard=self._heard,
            on_subscribed=self._subscribed,
        )
        session = self._source.push_session(self.store, self.server, hooks)
        self.handshakes += 1
        verdict, detail = Verdict.RETRY, ""
        try:
            await self._run_session(session)
        except AuthRejected as exc:
            verdict, detail = Verdict.GIVE_UP, str(exc)
        except InvalidStatus as exc:
            status = exc.response.status_code
            verdict, detail = self._policy.verdict(http_status=status), f"HTTP {status}"
        except ConnectionClosed as exc:
            code = exc.rcvd.code if exc.rcvd is not None else None
            verdict = self._policy.verdict(close_code=code)
            detail = f"closed ({code})" if code is not None else "connection lost"
        except _NETWORK_ERRORS as exc:
            detail = describe_failure(exc)
        ended = asyncio.get_running_loop().time()
        stable = self._policy.connection_ended(session.authenticated_at, ended)
        if verdict is Verdict.GIVE_UP:
            await self._fail_auth(detail)
            return
        if session.was_synced:
            self._away_before = statuses(self.store.server(self.server).jobs)
            self._failures = 0
            self._down_since = ended
        elif self._down_since is None:
            self._down_since = ended
        self._failures += 1
        if self._fail_over(stable, detail):
            self._start_poller(ended)
            return  # the next replica at once: no wait, no backoff step
        delay = self._policy.delay(verdict)
        self._next_retry_at = self._wall() + delay
        self._start_poller(ended)
        self._publish(Transport.POLLING if self._poll_ok else Transport.OFFLINE, detail)
        await self._wait_for_wake(delay)

    async def _run_session(self, session: PushSession) -> None:
        """Run the session until it ends; with replicas, also until the silence watch
        declares it hung (``NotAnswering``), so the next replica gets its turn."""
        if self._failover is None:
            await session.run()
            return
        hung = self._hung = asyncio.get_running_loop().create_future()
        self._session_started = self._wall()
        run: asyncio.Future[Any] = asyncio.ensure_future(session.run())
        try:
            done, _ = await asyncio.wait((run, hung), return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._hung = self._session_started = None
            if not run.done():
                run.cancel()
                with contextlib.suppress(Exception, asyncio.CancelledError):
                    await run
        if run in done:
            run.result()  # raises what ended it
            return
        raise NotAnswering(f"nothing heard for {self.settings.unreachable_after:.0f} s")

    def _fail_over(self, stable: bool, detail: str) -> bool:
        """After a failed session with replicas: move on to the next URL, and say whether
        to try it at once (True) or after the backoff (False: the round is over)."""
        failover = self._failover
        if failover is None:
            return False
        if stable:
            self._round = 0  # it proved itself: a new outage, a new round
        self._round += 1
        left = failover.url
        following = failover.fail_over()
        if self._round < len(failover.urls):
            log.info("%s: %s failed (%s); trying %s", self.server, left, detail, following)
            self._failover_note = f"{host_port(left)} failed ({detail or 'closed'})"
            return True
        log.info(
            "%s: every replica failed (%s last: %s); trying %s after the backoff",
            self.server,
            left,
            detail,
            following,
        )
        self._round = 0
        return False

    def _subscribed(self, answer: Subscribed) -> None:
        if answer.resumed:
            log.info("%s: resumed on %s after seq %s", self.server, answer.url, answer.since)
        else:
            log.info("%s: loading every job from %s (%s)", self.server, answer.url, answer.mode)
        for listener in list(self._subscribed_listeners):
            listener(answer)

    def _live(self) -> None:
        self._failures = 0
        self._down_since = None
        self._next_retry_at = None
        self._publish(Transport.LIVE)
        self._report_away()

    async def _fail_auth(self, detail: str) -> None:
        self._auth_failed = True
        await self._stop_poller()
        self._publish(Transport.AUTH_FAILED, detail or "the server refused the token")

    # --- polling: the fallback, or all a backend offers -------------------------------

    async def _poll_only(self) -> None:
        """A backend without push: poll from the start, until told otherwise (a refused
        token ends the poller and the run loop waits for a new one)."""
        if self._poller is None:
            self._down_since = self._wall()
            self._failures = self.settings.poll_after_failures
            self._start_poller(self._down_since)
        await self._wait_for_wake(None)

    def _start_poller(self, now: float) -> None:
        """Poll once the socket failed twice in a row, or has been down long enough."""
        if Can.LIST not in self.capabilities and self.capabilities.poll_every is None:
            return  # push only: nothing to fall back on
        if self._poller is not None:
            if self._failures >= self.settings.poll_after_failures and not self._polled:
                self._poll_now.set()  # the second failure in a row: poll now, not later
            return
        assert self._down_since is not None
        if self._failures >= self.settings.poll_after_failures:
            first = 0.0
        else:
            first = max(0.0, self._down_since + self.settings.poll_after_down - now)
        self._poller = asyncio.create_task(self._poll_forever(first), name=f"poll {self.server}")

    async def _poll_forever(self, first_delay: float) -> None:
        assert self._source is not None
        delay = first_delay
        while True:
            self._poll_now.clear()
            await wait_set(self._poll_now, delay)
            self._polled = True
            try:
                await self._source.poll(self.store, self.server, self._wall())
            except AuthRejected as exc:
                self._poller = None
                await self._fail_auth(str(exc))
                return
            except _NETWORK_ERRORS as exc:
                self._poll_ok = False
                self._publish(Transport.OFFLINE, describe_failure(exc))
            else:
                self._poll_ok = True
                self._heard()
                self._publish(Transport.POLLING)
                self._report_away()
            delay = self._poll_interval()

    def _poll_interval(self) -> float:
        """The backend's own interval when it says one (seed 002: every 2 s), else a
        jittered few seconds, so many monitors do not poll in step."""
        if (every := self.capabilities.poll_every) is not None:
            return every
        s = self.settings
        return self._rng.uniform(s.poll_interval_min, s.poll_interval_max)

    async def _stop_poller(self) -> None:
        """The socket is back (or we stop): the stream takes over from the poller's seq."""
        poller, self._poller = self._poller, None
        self._poll_ok = False
        self._polled = False
        if poller is not None and poller is not asyncio.current_task():
            poller.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await poller

    # --- helpers -----------------------------------------------------------------------

    def _publish(self, transport: Transport, detail: str = "") -> None:
        self._doing = (transport, "" if transport is Transport.POLLING else detail)
        self._show()

    def _show(self) -> None:
        """Publish what the operator may trust: what the engine is doing, unless the
        server has been silent too long for that to matter."""
        transport, detail = self._doing
        silent = self._wall() - (self._heard_at or self._watching_since)
        if transport in _HOPEFUL and silent > self.settings.unreachable_after:
            transport, detail = Transport.OFFLINE, "not answering"
        retry = self._next_retry_at if transport in (Transport.POLLING, Transport.OFFLINE) else None
        via = "" if self._failover is None else host_port(self._failover.url)
        state = ConnectionState(transport, retry, detail, via=via)
        if not state.trusted:  # only then does the age of the data matter (and change)
            state = ConnectionState(transport, retry, detail, self._heard_at, via=via)
        self.state.set(state)

    def _heard(self) -> None:
        """The server said something: its data is current as of now."""
        self._heard_at = self._wall()
        if self.state.value.transport is Transport.OFFLINE and self._doing[0] in _HOPEFUL:
            self._show()  # it answers again

    async def _watch_silence(self) -> None:
        """Check once a second whether the server went silent (nothing else would notice
        while a connection attempt hangs)."""
        while True:
            await asyncio.sleep(1.0)
            self._show()
            self._check_hung()

    def _check_hung(self) -> None:
        """A push session to a replica that has said nothing for ``unreachable_after``
        seconds (since it started, or since last heard) is hung: end it."""
        hung, started = self._hung, self._session_started
        if hung is None or hung.done() or started is None:
            return
        since = max(started, self._heard_at or started)
        if self._wall() - since > self.settings.unreachable_after:
            hung.set_result(None)

    def _report_away(self) -> None:
        before, self._away_before = self._away_before, None
        if before is None:
            return
        summary = summarize(self.server, before, self.store.server(self.server).jobs)
        if summary.changes:
            for listener in list(self._away_listeners):
                listener(summary)

    async def _wait_for_wake(self, delay: float | None) -> None:
        self._wake.clear()
        await wait_set(self._wake, delay)
