"""How long an idle HTTP keep-alive connection lives, on each side of it.

A server that closes an idle connection just as a client sends its next request on it
leaves the request without an answer ("Server disconnected without sending a
response"): uvicorn's default keep-alive (5 s) and httpx's pool expiry (5 s) are equal,
and a load test lost 9 of ~400,000 requests exactly there. So the side that reuses a
connection gives it up well before the side that closes it would.
"""

from __future__ import annotations

from typing import Final

CLIENT_IDLE_EXPIRY_S: Final = 4.0
"""jobdesk's HTTP clients (SDK, monitor, CLI) drop a connection idle this long."""

SERVER_KEEP_ALIVE_S: Final = 75
"""jobdesk's server keeps an idle connection open this long by default (nginx's 75 s):
far above any client's expiry, httpx's default (5 s) included."""
