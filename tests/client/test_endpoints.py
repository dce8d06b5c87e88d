"""One URL in, both endpoints out: http(s) and ws(s) forms, with or without a prefix."""

from __future__ import annotations

import re

import pytest

from jobdesk.client.endpoints import endpoints


@pytest.mark.parametrize(
    ("url", "base", "ws"),
    [
        (
            "http://127.0.0.1:8765",
            "http://127.0.0.1:8765",
            "ws://127.0.0.1:8765/api/notifications/ws",
        ),
        ("http://h:1/", "http://h:1", "ws://h:1/api/notifications/ws"),
        ("https://h/jobdesk/", "https://h/jobdesk", "wss://h/jobdesk/api/notifications/ws"),
        ("ws://h:1/api/notifications/ws", "http://h:1", "ws://h:1/api/notifications/ws"),
        ("WSS://h/x/api/notifications/ws", "https://h/x", "wss://h/x/api/notifications/ws"),
    ],
)
def test_both_endpoints_are_derived(url: str, base: str, ws: str) -> None:
    found = endpoints(url)
    assert (found.base_url, found.ws_url) == (base, ws)


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://h", "not an http(s) or ws(s) URL"),
        ("127.0.0.1:8765", "not an http(s) or ws(s) URL"),
        ("http://", "has no host"),
        ("http://h/?token=x", "must not have a query"),
    ],
)
def test_other_urls_are_refused(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=re.escape(complaint)):
        endpoints(url)
