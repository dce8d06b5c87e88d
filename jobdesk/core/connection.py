"""What the monitor tells the operator about each server's connection."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from jobdesk.core.eta import format_duration


class Transport(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    """Subscribed on the WebSocket: changes arrive as they happen."""
    POLLING = "polling"
    """The socket is down; GET /api/jobs?since= every few seconds keeps the view current."""
    OFFLINE = "offline"
    """The server does not answer: nothing reaches it, or it accepts connections and says
    nothing (a hung process). What the monitor shows of it may be out of date."""
    AUTH_FAILED = "auth_failed"
    """The server refused the token; nothing retries until the credentials change."""


WORDS = {
    Transport.CONNECTING: "connecting",
    Transport.LIVE: "live",
    Transport.POLLING: "polling",
    Transport.OFFLINE: "unreachable",
    Transport.AUTH_FAILED: "auth failed",
}
"""How each transport is said to an operator."""
_WHERE = {Transport.LIVE: "via", Transport.POLLING: "via", Transport.CONNECTING: "to"}


@dataclass(frozen=True)
class ConnectionState:
    transport: Transport
    next_retry_at: float | None = None
    """Wall-clock time (``time.time()``) of the next socket attempt, when one is planned."""
    detail: str = ""
    """Why, in a few words: the last error, or the server's message."""
    heard_at: float | None = None
    """Wall-clock time the server last answered anything (None: never, this session):
    how old the data shown of it may be."""
    via: str = ""
    """With several replicas of one cluster: the one in use (``host:port``); empty with
    one server."""

    @property
    def trusted(self) -> bool:
        """Whether what the monitor shows of this server is current."""
        return self.transport in (Transport.LIVE, Transport.POLLING)

    def data_age(self, now: float) -> float | None:
        """Seconds since the server last answered, when that matters (it is not current)."""
        if self.trusted or self.heard_at is None:
            return None
        return max(0.0, now - self.heard_at)

    def where(self) -> str:
        """`` via host:port`` (live, polling), `` to host:port`` (connecting), `` at
        host:port`` (auth failed): the replica in use, when there are several. Nothing
        when unreachable: that is said of the cluster, not of one replica."""
        if not self.via or self.transport is Transport.OFFLINE:
            return ""
        word = _WHERE.get(self.transport, "at")
        return f" {word} {self.via}"

    def describe(self, now: float) -> str:
        """One line for a status bar or a terminal:
        ``unreachable (data 25 s old, socket retry in 7 s): not answering``."""
        notes = []
        age = self.data_age(now)
        if age is not None:
            notes.append(f"data {format_duration(age)} old")
        if self.next_retry_at is not None:
            notes.append(f"socket retry in {max(0.0, self.next_retry_at - now):.0f} s")
        text = WORDS[self.transport] + self.where()
        if notes:
            text += f" ({', '.join(notes)})"
        if self.detail:
            text += f": {self.detail}"
        return text
