"""The connection pool of the monitor's HTTP clients (REST reads and operator actions).

httpx's own pool sizes, but an idle connection is dropped after CLIENT_IDLE_EXPIRY_S
(4 s) rather than httpx's 5 s, below the 5 s at which uvicorn and many proxies close
one: reused as it is closed, a request gets no answer (``jobdesk.protocol.connections``).
"""

from __future__ import annotations

from typing import Final

import httpx

from jobdesk.protocol.connections import CLIENT_IDLE_EXPIRY_S

LIMITS: Final = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=CLIENT_IDLE_EXPIRY_S
)
