"""What an operator does to jobs from the monitor: submit, cancel, retry, force-fail,
emergency cleanup.

Asyncio and httpx, so the GUI's widgets never do network I/O themselves: a widget asks,
this module talks to the server, and the answer comes back through the store's stream.

A submission is retried (bounded, with backoff) while the server is unreachable, busy
or behind a failing proxy, and ends in seed 000's four codes only (``SubmitError``), so
every submitting client reports failures in the same words (docs/queue.md). The other
actions are one request per job, each with its own ``Outcome``: an operator acting on
twenty jobs wants to know which ones were refused, not a single error.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec

from jobdesk.client.endpoints import endpoints
from jobdesk.client.pool import LIMITS
from jobdesk.core.backoff import Backoff
from jobdesk.protocol import ErrorCode, submission_code
from jobdesk.protocol.rest import CancelRequest, CreateJobRequest, CreateJobResponse

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
"""Answers that say "not now" (full, or a proxy without its server): worth another try."""
RETRYABLE_ERRORS = (httpx.NetworkError, httpx.TimeoutException, httpx.RemoteProtocolError)
"""The network failed, not the request: worth another try (the idempotency key makes a
try whose answer was lost harmless)."""

_CODE_BY_STATUS = {
    400: ErrorCode.INVALID_INPUT.value,
    401: ErrorCode.AUTH_REQUIRED.value,
    403: ErrorCode.FORBIDDEN.value,
    413: ErrorCode.PAYLOAD_TOO_LARGE.value,
    422: ErrorCode.INVALID_INPUT.value,
    429: ErrorCode.TOO_MANY_ACTIVE_JOBS.value,
    502: "UNAVAILABLE",
    503: "UNAVAILABLE",
    504: "UNAVAILABLE",
}
"""The code an answer without a readable error body stands for (a proxy's HTML page)."""

_encode = msgspec.json.Encoder().encode
_decode_created = msgspec.json.Decoder(CreateJobResponse).decode


@dataclass(frozen=True)
class Outcome:
    job_id: str
    ok: bool
    detail: str = ""
    """The server's error message when refused (e.g. "job ... is already completed")."""


@dataclass(frozen=True)
class SubmitRetry:
    """How hard ``submit`` tries: ``attempts`` requests at most, waiting a full-jitter
    exponential backoff (``initial``, doubling, at most ``cap`` seconds) in between.

    Bounded on purpose: the operator is waiting in a dialog, so a server that is down
    gets a clear SUBMISSION_FAILED in seconds rather than an endless spinner."""

    attempts: int = 3
    initial: float = 0.5
    cap: float = 4.0


class SubmitError(Exception):
    """A submission that did not create a job; ``code`` is one of seed 000's four
    (AUTH_REQUIRED, INVALID_INPUT, SUBMISSION_FAILED, UNKNOWN_ERROR)."""

    def __init__(self, code: ErrorCode, message: str, field: str | None = None) -> None:
        super().__init__(f"{code.value}: {message}")
        self.code = code
        self.message = message
        self.field = field
        """The request field the server named (wire spelling, e.g. ``maxAttempts``)."""


class OperatorActions:
    def __init__(
        self,
        url: str,
        token: str,
        *,
        timeout: float = 10.0,
        submit_retry: SubmitRetry | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        """``transport``: httpx's, to stand in for the network in tests (None: the real one)."""
        self._base = endpoints(url).base_url
        self._token = token
        self._timeout = timeout
        self._retry = submit_retry or SubmitRetry()
        self._transport = transport

    def _client(self) -> httpx.AsyncClient:
        token = self._token.strip()
        # no token, no header: "Bearer " alone is not even a legal header value
        return httpx.AsyncClient(
            base_url=self._base,
            headers={"Authorization": f"Bearer {token}"} if token else {},
            timeout=self._timeout,
            transport=self._transport,
            limits=LIMITS,
        )

    # --- submit ------------------------------------------------------------------------

    async def submit(self, request: CreateJobRequest) -> str:
        """Submit a queued job; its id, or SubmitError with seed 000's code.

        Every try carries the same ``Idempotency-Key``, so a try whose answer was lost
        (the job was created, the connection dropped) is not a second job.
        """
        try:
            body = _encode(request)
        except (TypeError, msgspec.EncodeError) as exc:
            raise SubmitError(
                ErrorCode.INVALID_INPUT, f"the payload is not JSON: {exc}", "payload"
            ) from None
        headers = {"Idempotency-Key": uuid.uuid4().hex, "Content-Type": "application/json"}
        backoff = Backoff(initial=self._retry.initial, cap=self._retry.cap)
        async with self._client() as http:
            for attempt in range(1, self._retry.attempts + 1):
                last = attempt == self._retry.attempts
                try:
                    response = await http.post("/api/jobs", content=body, headers=headers)
                except RETRYABLE_ERRORS as exc:
                    if last:
                        raise SubmitError(
                            ErrorCode.SUBMISSION_FAILED,
                            f"{self._base} stayed unreachable after {attempt} tries "
                            f"({_describe(exc)})",
                        ) from None
                    await asyncio.sleep(backoff.next_delay())
                    continue
                except httpx.HTTPError as exc:  # a local fault: another try would repeat it
                    raise SubmitError(ErrorCode.UNKNOWN_ERROR, _describe(exc)) from None
                if response.status_code in RETRYABLE_STATUSES and not last:
                    await asyncio.sleep(_wait(backoff, response, self._retry.cap))
                    continue
                return _created(response, attempt)
        raise AssertionError("unreachable: the last try returns or raises")

    # --- one request per job -----------------------------------------------------------

    async def force_fail(self, job_ids: list[str], reason: str | None = None) -> list[Outcome]:
        """Force-fail several jobs at once; each gets its own outcome."""
        body = {"reason": reason} if reason else {}
        return await self._each(job_ids, "/api/admin/jobs/{}/force-fail", body)

    async def cancel(self, job_ids: list[str], reason: str | None = None) -> list[Outcome]:
        """Cancel queued, retrying or running jobs; a finished one is refused (CONFLICT)."""
        body = msgspec.to_builtins(CancelRequest(reason=reason)) if reason else {}
        return await self._each(job_ids, "/api/jobs/{}/cancel", body)

    async def retry(self, job_ids: list[str]) -> list[Outcome]:
        """Queue failed or cancelled jobs again, with one more attempt allowed."""
        return await self._each(job_ids, "/api/jobs/{}/retry", {})

    async def _each(self, job_ids: list[str], path: str, body: dict[str, Any]) -> list[Outcome]:
        async with self._client() as http:
            answers = await asyncio.gather(
                *(http.post(path.format(job_id), json=body) for job_id in job_ids),
                return_exceptions=True,
            )
        return [_outcome(job_id, answer) for job_id, answer in zip(job_ids, answers, strict=True)]

    async def emergency_cleanup(self) -> int:
        """Fail every active job on the server; returns how many were failed."""
        async with self._client() as http:
            response = await http.post("/api/admin/jobs/emergency-cleanup")
        if response.status_code != 200:
            raise RuntimeError(_message(response))
        count: int = response.json()["failedJobs"]
        return count


def _describe(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def _wait(backoff: Backoff, response: httpx.Response, cap: float) -> float:
    """The backoff's delay, or the server's ``Retry-After`` if longer (up to ``cap``)."""
    delay = backoff.next_delay()
    try:
        asked = float(response.headers.get("Retry-After", ""))
    except ValueError:
        return delay
    return min(max(delay, asked), cap)


def _created(response: httpx.Response, tries: int) -> str:
    """The new job's id from a 201, or the SubmitError any other answer stands for."""
    if response.status_code in (200, 201):
        try:
            return _decode_created(response.content).job_id
        except msgspec.DecodeError as exc:
            raise SubmitError(
                ErrorCode.UNKNOWN_ERROR, f"the server's answer was not understood: {exc}"
            ) from None
    raw, message, field = _error_detail(response)
    code = submission_code(raw)
    if code is ErrorCode.SUBMISSION_FAILED:
        message = f"{message} (after {tries} tries)"
    raise SubmitError(code, message, field)


def _error_detail(response: httpx.Response) -> tuple[str, str, str | None]:
    """(code, message, field) from the error body; from the HTTP status without one."""
    try:
        detail = response.json()["error"]
        field = detail.get("field")
        return (
            str(detail["code"]),
            str(detail.get("message", "")),
            None if field is None else str(field),
        )
    except (ValueError, KeyError, TypeError, AttributeError):
        code = _CODE_BY_STATUS.get(response.status_code, ErrorCode.UNKNOWN_ERROR.value)
        return code, f"HTTP {response.status_code} {response.reason_phrase}".strip(), None


def _message(response: httpx.Response) -> str:
    try:
        return str(response.json()["error"]["message"])
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}"


def _outcome(job_id: str, answer: httpx.Response | BaseException) -> Outcome:
    if isinstance(answer, BaseException):
        return Outcome(job_id, False, str(answer) or type(answer).__name__)
    if answer.status_code == 200:
        return Outcome(job_id, True)
    return Outcome(job_id, False, _message(answer))
