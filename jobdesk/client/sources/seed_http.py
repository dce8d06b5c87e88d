"""The HTTP side the REST-polled seed backends share: one client per source, bearer
auth when a token is given, and refused credentials said the way the engine expects.

Seed 001 and seed 002 answer JSON of their own shapes, so bodies are read as plain
dicts here and mapped by each adapter's mapping module; a body that is not what the
seed says is a ``ProtocolBroken`` (the engine counts it as a failed poll), never a crash.
"""

from __future__ import annotations

from typing import Any

import httpx
import msgspec

from jobdesk.client.endpoints import endpoints
from jobdesk.client.errors import AuthRejected, ProtocolBroken
from jobdesk.client.pool import LIMITS

_decode = msgspec.json.Decoder().decode


def seed_client(url: str, token: str, timeout: float) -> httpx.AsyncClient:
    """A client for the backend at ``url`` (any form ``endpoints`` accepts)."""
    return httpx.AsyncClient(
        base_url=endpoints(url).base_url,
        headers=auth_headers(token),
        timeout=timeout,
        limits=LIMITS,
    )


def auth_headers(token: str) -> dict[str, str]:
    """Bearer auth, or none: seed 002 names no credentials, so an empty token sends none."""
    return {"Authorization": f"Bearer {token}"} if token else {}


def set_token(http: httpx.AsyncClient, token: str) -> None:
    http.headers.pop("Authorization", None)
    http.headers.update(auth_headers(token))


def checked(response: httpx.Response) -> None:
    """Refused credentials as ``AuthRejected``, any other failure as httpx's error."""
    if response.status_code in (401, 403):
        raise AuthRejected(f"the server refused the token (HTTP {response.status_code})")
    response.raise_for_status()


def json_object(response: httpx.Response) -> dict[str, Any]:
    """The answer's JSON object; ProtocolBroken for anything else (a proxy's HTML page)."""
    try:
        body = _decode(response.content)
    except msgspec.DecodeError as exc:
        raise ProtocolBroken(f"{response.request.url.path}: not JSON ({exc})") from None
    if not isinstance(body, dict):
        raise ProtocolBroken(f"{response.request.url.path}: not a JSON object")
    return body
