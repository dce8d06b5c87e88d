"""The connection pool every jobdesk HTTP client uses (SDK, monitor, command line).

httpx's own pool sizes, but idle connections are dropped after CLIENT_IDLE_EXPIRY_S
(4 s) instead of httpx's 5 s: a server or proxy that closes idle connections at 5 s
(uvicorn's default) would otherwise close one just as it is reused, and that request
gets no answer (see ``jobdesk.protocol.connections``).
"""

from __future__ import annotations

import httpx

from jobdesk.protocol.connections import CLIENT_IDLE_EXPIRY_S


def client_limits() -> httpx.Limits:
    return httpx.Limits(
        max_connections=100, max_keepalive_connections=20, keepalive_expiry=CLIENT_IDLE_EXPIRY_S
    )
