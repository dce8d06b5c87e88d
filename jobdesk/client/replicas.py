"""Several URLs of one jobdesk cluster: server replicas on one database, behind a load
balancer or each at its own address.

Replicas share one epoch and one seq stream, so a client resumes on any of them with
``since`` exactly as it would on the server it left. A profile lists them in its
``replicas`` option (the profile's URL first, then these, in order); the source connects
to one at a time and moves on to the next when its push session fails (round robin).
The engine decides when the next attempt happens (``jobdesk.client.engine``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from jobdesk.client.endpoints import endpoints

_SEPARATORS = re.compile(r"[\s,]+")


def split_urls(text: str) -> list[str]:
    """The URLs in ``text``, separated by commas and/or whitespace (empty: none)."""
    return [part for part in _SEPARATORS.split(text.strip()) if part]


def parse_replicas(text: str) -> tuple[str, ...]:
    """The ``replicas`` option's URLs, each checked as a profile's URL is
    (``endpoints``); ValueError naming the first bad one."""
    urls = split_urls(text)
    for url in urls:
        try:
            endpoints(url)
        except ValueError as exc:
            raise ValueError(f"replicas: {exc}") from None
    return tuple(urls)


def host_port(url: str) -> str:
    """``host:port`` of the server at ``url`` (the default port of its scheme when it
    names none): how the monitor names a server or a replica. ValueError for a URL that
    is not a server's."""
    parts = urlsplit(endpoints(url).base_url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


class Replicas:
    """The URLs of one cluster in the order they are tried, and the one in use.

    The same server given twice (``http://a:1`` and ``ws://a:1/api/notifications/ws``)
    is one replica: it would only be tried twice in a row."""

    def __init__(self, urls: Iterable[str]) -> None:
        kept: dict[str, str] = {}
        for url in urls:
            kept.setdefault(endpoints(url).base_url, url.strip())
        if not kept:
            raise ValueError("a cluster needs at least one URL")
        self.urls: tuple[str, ...] = tuple(kept.values())
        self._index = 0

    @property
    def current(self) -> str:
        """The URL in use: the socket's, the poller's and every REST call's."""
        return self.urls[self._index]

    @property
    def many(self) -> bool:
        return len(self.urls) > 1

    def advance(self) -> str:
        """Move on to the next URL (after the last, the first again); the new current."""
        self._index = (self._index + 1) % len(self.urls)
        return self.current
