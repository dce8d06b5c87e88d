"""One REST call as data, and how an answer becomes a protocol struct or an SdkError.

No I/O here: the sync and async transports share this, so both decode and map errors
the same way.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Generic, Literal, TypeVar

import httpx
import msgspec

from jobdesk.protocol import ErrorBody, ErrorCode
from jobdesk.protocol.connections import CLIENT_IDLE_EXPIRY_S
from jobdesk.sdk.errors import BAD_RESPONSE, SdkError, sdk_error

T = TypeVar("T")

LIMITS: Final = httpx.Limits(
    max_connections=100, max_keepalive_connections=20, keepalive_expiry=CLIENT_IDLE_EXPIRY_S
)
"""httpx's pool sizes, but an idle connection is dropped after 4 s rather than httpx's 5 s:
below the 5 s at which uvicorn and many proxies close one, where a request sent as it
closes gets no answer (``jobdesk.protocol.connections``)."""

_encoder = msgspec.json.Encoder()

_CODE_BY_STATUS = {
    400: ErrorCode.INVALID_INPUT,
    401: ErrorCode.AUTH_REQUIRED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    409: ErrorCode.CONFLICT,
    410: ErrorCode.RESYNC_REQUIRED,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
    429: ErrorCode.TOO_MANY_ACTIVE_JOBS,
}


STATUS_BY_CODE = {code.value: status for status, code in _CODE_BY_STATUS.items()} | {
    ErrorCode.CANCELLED.value: 409,
    ErrorCode.LEASE_LOST.value: 409,
}
"""The HTTP status a code comes with, for a refusal that came inside a batch's answer."""


@dataclass(frozen=True)
class Call(Generic[T]):
    """A request and the struct its 2xx answer decodes into.

    ``key`` is sent as ``Idempotency-Key`` on writes and stays the same on every retry
    of this call, so a server that honours it can drop a repeat whose first attempt was
    committed but whose answer was lost.
    """

    method: Literal["GET", "POST"]
    path: str
    response: type[T]
    body: Any = None
    params: dict[str, str] | None = None
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    headers: Mapping[str, str] | None = None
    """Sent on top of the client's, e.g. a claimed job's ``Jobdesk-Attempt`` fencing token."""
    wait: float = 0.0
    """Seconds the server may hold the answer back (a long poll), added to the read
    timeout so a claim that waits 20 s is not cut off by a 10 s client timeout."""
    retry_codes: frozenset[str] = frozenset()
    """Error codes besides UNAVAILABLE worth repeating for this call, within the retry
    policy (submitting a job retries ``TOO_MANY_ACTIVE_JOBS``: the queue may drain)."""

    def build(self, http: httpx.Client | httpx.AsyncClient) -> httpx.Request:
        headers: dict[str, str] = dict(self.headers or {})
        content: bytes | None = None
        if self.method == "POST":
            headers["Idempotency-Key"] = self.key
            headers["Content-Type"] = "application/json"
            content = _encoder.encode(self.body) if self.body is not None else b"{}"
        return http.build_request(
            self.method,
            self.path,
            content=content,
            headers=headers,
            params=self.params,
            timeout=_longer(http.timeout, self.wait),
        )


def _longer(timeout: httpx.Timeout, wait: float) -> httpx.Timeout:
    """``timeout`` with ``wait`` more seconds to read the answer (none: no limit anyway)."""
    if wait <= 0 or timeout.read is None:
        return timeout
    return httpx.Timeout(
        connect=timeout.connect, read=timeout.read + wait, write=timeout.write, pool=timeout.pool
    )


class _LooseDetail(msgspec.Struct):
    code: str
    message: str = ""
    field: str | None = None


class _LooseBody(msgspec.Struct):
    """The error body with any code string: a newer server may send codes we do not know."""

    error: _LooseDetail


def error_from(response: httpx.Response, attempts: int = 1) -> SdkError:
    """The SdkError for a non-2xx answer, from its error body when it has one."""
    status = response.status_code
    try:
        detail = msgspec.json.decode(response.content, type=ErrorBody).error
        code, message, fld = detail.code.value, detail.message, detail.field
    except msgspec.MsgspecError:
        try:
            loose = msgspec.json.decode(response.content, type=_LooseBody).error
            code, message, fld = loose.code, loose.message, loose.field
        except msgspec.MsgspecError:
            fallback = _CODE_BY_STATUS.get(status, ErrorCode.UNKNOWN_ERROR)
            code, message, fld = fallback.value, _snippet(response), None
    return sdk_error(code, message, field=fld, status=status, attempts=attempts)


def decode(response: httpx.Response, call: Call[T], attempts: int = 1) -> T:
    """The answer's struct, or the SdkError the server's error body describes."""
    if not response.is_success:
        raise error_from(response, attempts)
    try:
        return msgspec.json.decode(response.content, type=call.response)
    except msgspec.MsgspecError as exc:
        raise SdkError(
            BAD_RESPONSE,
            f"{call.method} {call.path} answered {response.status_code} with an "
            f"unexpected body: {exc}",
            status=response.status_code,
            attempts=attempts,
        ) from None


def _snippet(response: httpx.Response) -> str:
    text = response.text.strip()
    reason = response.reason_phrase or "error"
    return f"HTTP {response.status_code} {reason}" + (f": {text[:200]}" if text else "")
