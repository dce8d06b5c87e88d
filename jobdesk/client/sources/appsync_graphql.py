"""AppSync's two endpoints and its credentials: GraphQL over HTTPS, and the realtime
WebSocket whose handshake carries the same headers base64-encoded in its query.

AppSync authorizes every request by headers: ``x-api-key`` for an API key,
``Authorization`` (the Cognito id token, bare) for a user pool. The realtime endpoint
cannot take headers on a browser WebSocket, so they travel as the ``header`` query
parameter (base64 JSON, with the GraphQL endpoint's ``host``) and again in each
``start`` message's ``extensions.authorization``.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from jobdesk.client.errors import AuthRejected, ProtocolBroken

API_KEY = "apiKey"
COGNITO = "cognito"
AUTH_MODES = (API_KEY, COGNITO)


class GraphQLFailed(ProtocolBroken):
    """The backend answered the operation with GraphQL errors (not an auth refusal): for
    the engine a broken session (reconnect later), for a submission maybe bad input."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        self.errors = errors
        self.error_type = str(errors[0].get("errorType", "")) if errors else ""
        super().__init__("; ".join(str(e.get("message", e)) for e in errors) or "GraphQL error")


@dataclass(frozen=True)
class Endpoints:
    graphql_url: str
    realtime_url: str
    host: str
    """The GraphQL endpoint's host (and port), which the realtime handshake must name."""


def endpoints(url: str, realtime_url: str = "") -> Endpoints:
    """The GraphQL URL as given (``/graphql`` added to a bare host) and its realtime
    twin: AppSync's ``appsync-api`` host becomes ``appsync-realtime-api`` with the same
    path, any other host (the simulator) serves ``/graphql/realtime`` beside it."""
    parts = urlsplit(url.rstrip("/"))
    path = parts.path or "/graphql"
    graphql_url = urlunsplit((parts.scheme, parts.netloc, path, "", ""))
    if realtime_url:
        return Endpoints(graphql_url, realtime_url, parts.netloc)
    scheme = "wss" if parts.scheme == "https" else "ws"
    if "appsync-api" in parts.netloc:
        netloc, ws_path = parts.netloc.replace("appsync-api", "appsync-realtime-api"), path
    else:
        netloc, ws_path = parts.netloc, f"{path}/realtime"
    return Endpoints(graphql_url, urlunsplit((scheme, netloc, ws_path, "", "")), parts.netloc)


def auth_headers(mode: str, token: str) -> dict[str, str]:
    if mode == API_KEY:
        return {"x-api-key": token}
    if mode == COGNITO:
        return {"Authorization": token}
    raise ValueError(f"auth must be one of {', '.join(AUTH_MODES)}, not {mode!r}")


def encoded(value: dict[str, Any]) -> str:
    """A JSON object as the realtime handshake's query parameters carry it."""
    return base64.b64encode(json.dumps(value, separators=(",", ":")).encode()).decode()


def is_unauthorized(errors: list[dict[str, Any]]) -> bool:
    """AppSync's word for refused credentials, in an error list from either endpoint."""
    text = json.dumps(errors)
    return "Unauthorized" in text or "401" in text


class GraphQLClient:
    """Queries and mutations over HTTP, with the profile's credentials."""

    def __init__(self, url: str, mode: str, token: str, *, timeout: float) -> None:
        self._mode = mode
        self._http = httpx.AsyncClient(timeout=timeout, headers=auth_headers(mode, token))
        self._url = url

    def set_token(self, token: str) -> None:
        self._http.headers.update(auth_headers(self._mode, token))

    async def aclose(self) -> None:
        await self._http.aclose()

    async def execute(
        self, document: str, variables: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The operation's ``data``; ``AuthRejected`` for refused credentials,
        ``GraphQLFailed`` for errors, ``httpx.HTTPError`` when it cannot be reached."""
        answer = await self._http.post(
            self._url, json={"query": document, "variables": variables or {}}
        )
        if answer.status_code in (401, 403):
            raise AuthRejected(f"the AppSync endpoint refused the credentials ({answer.text})")
        try:
            body = answer.json()
        except ValueError:
            answer.raise_for_status()
            raise ProtocolBroken(f"not JSON: {answer.text[:200]!r}") from None
        errors = body.get("errors") or []
        if errors and is_unauthorized(errors):
            raise AuthRejected(str(GraphQLFailed(errors)))
        if errors:
            raise GraphQLFailed(errors)
        answer.raise_for_status()
        data = body.get("data")
        if not isinstance(data, dict):
            raise ProtocolBroken(f"no data in {body!r:.200}")
        return data


def only_field(data: dict[str, Any]) -> Any:
    """The value of an operation's single top-level field, whatever it is named, so a
    profile's documents may name their fields as their schema does."""
    if len(data) != 1:
        raise ProtocolBroken(f"expected one field in the answer, got {sorted(data)}")
    return next(iter(data.values()))
