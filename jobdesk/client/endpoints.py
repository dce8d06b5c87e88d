"""Where a server's REST API and WebSocket are, given the one URL a user types.

People copy whatever URL they have at hand, so the base URL (``http://host:8765``, with
or without a path prefix behind a proxy) and the WebSocket's own URL (``ws://...``) are
both accepted; the other is derived, keeping TLS on both or on neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

WS_PATH = "/api/notifications/ws"
_TO_WS = {"http": "ws", "https": "wss"}
_TO_HTTP = {"ws": "http", "wss": "https"}


@dataclass(frozen=True)
class Endpoints:
    base_url: str
    """``http(s)://host:port[/prefix]`` without a trailing slash."""
    ws_url: str


def endpoints(url: str) -> Endpoints:
    """Both endpoints of the server at ``url``; ValueError for anything else."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    if scheme not in _TO_WS and scheme not in _TO_HTTP:
        raise ValueError(f"{url!r} is not an http(s) or ws(s) URL")
    if not parts.hostname:
        raise ValueError(f"{url!r} has no host")
    if parts.query or parts.fragment:
        raise ValueError(f"{url!r} must not have a query or fragment (tokens go elsewhere)")
    path = parts.path.rstrip("/")
    if scheme in _TO_HTTP:
        path = path.removesuffix(WS_PATH)
        scheme = _TO_HTTP[scheme]
    base = urlunsplit((scheme, parts.netloc, path, "", ""))
    ws = urlunsplit((_TO_WS[scheme], parts.netloc, path + WS_PATH, "", ""))
    return Endpoints(base_url=base, ws_url=ws)
