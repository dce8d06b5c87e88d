"""The engine's timings, in one place, so tests can shrink them."""

from __future__ import annotations

from dataclasses import dataclass

from jobdesk.protocol.rest import MAX_PAGE


@dataclass(frozen=True, kw_only=True)
class EngineSettings:
    backoff_initial: float = 1.0
    backoff_factor: float = 2.0
    backoff_cap: float = 30.0
    stable_after: float = 10.0
    """A connection authenticated and up this long resets the backoff."""
    soon_max: float = 2.0
    """After close 1001/1012, reconnect within [soon_max / 4, soon_max] seconds."""
    ping_interval: float = 15.0
    ping_timeout: float = 10.0
    probe_interval: float = 5.0
    """Live and nothing heard this long: ask the server (``ping``), so silence means a
    server that does not answer, not one with nothing to say (its heartbeat is 30 s)."""
    unreachable_after: float = 15.0
    """Nothing heard from the server this long, whatever the transport is doing (a
    connection that hangs in its handshake included): it is shown unreachable, with the
    age of its data."""
    silence_timeout: float = 20.0
    """No message of any kind this long means the connection is dead: it is dropped and
    the engine reconnects (a probe goes out every ``probe_interval``)."""
    open_timeout: float = 10.0
    """Connecting, the handshake and the auth answer must each finish within this."""
    poll_after_failures: int = 2
    poll_after_down: float = 10.0
    """Start polling once the socket failed this many times in a row, or was down this long."""
    poll_interval_min: float = 3.0
    poll_interval_max: float = 5.0
    http_timeout: float = 10.0
    page_size: int = MAX_PAGE
    """Jobs per page of a snapshot or a resync (the server's largest page)."""
    history_page: int = 200
    """Jobs per page of the history (``GET /api/history`` takes 1 to 500): a page is what
    the History view shows first and what "Load older" adds."""
