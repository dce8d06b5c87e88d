"""What the monitor tells the operator about each server's connection."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Transport(StrEnum):
    CONNECTING = "connecting"
    LIVE = "live"
    """Subscribed on the WebSocket: changes arrive as they happen."""
    POLLING = "polling"
    """The socket is down; GET /api/jobs?since= every few seconds keeps the view current."""
    OFFLINE = "offline"
    """Neither the socket nor polling reaches the server."""
    AUTH_FAILED = "auth_failed"
    """The server refused the token; nothing retries until the credentials change."""


@dataclass(frozen=True)
class ConnectionState:
    transport: Transport
    next_retry_at: float | None = None
    """Wall-clock time (``time.time()``) of the next socket attempt, when one is planned."""
    detail: str = ""
    """Why, in a few words: the last error, or the server's message."""

    def describe(self, now: float) -> str:
        """One line for a status bar or a terminal: ``polling (socket retry in 7 s)``."""
        text = self.transport.value.replace("_", " ")
        if self.next_retry_at is not None:
            text += f" (socket retry in {max(0.0, self.next_retry_at - now):.0f} s)"
        if self.detail:
            text += f": {self.detail}"
        return text
