"""What every handler shares: who is calling, and how errors are answered."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Annotated, Any, TypeVar, cast

from litestar import MediaType, Request, Response
from litestar.di import NamedDependency
from litestar.exceptions import HTTPException, ValidationException
from litestar.openapi.datastructures import ResponseSpec
from litestar.openapi.spec import SecurityRequirement
from litestar.params import HeaderParameter, Parameter

from jobdesk.protocol import ErrorBody, ErrorCode, ErrorDetail
from jobdesk.protocol.rest import DEFAULT_PAGE, MAX_PAGE
from jobdesk.server.errors import ApiError
from jobdesk.server.idempotency import Once, Replayed
from jobdesk.server.service import JobService
from jobdesk.server.tokens import Principal

log = logging.getLogger(__name__)
T = TypeVar("T")
BEARER: list[SecurityRequirement] = [{"bearer": []}]
Service = NamedDependency[JobService]
IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=200,
        description="A retry with the same key returns the first answer and acts once",
    ),
]
AttemptHeader = Annotated[
    int | None,
    HeaderParameter(
        name="Jobdesk-Attempt",
        ge=1,
        description="The attempt the caller holds; refused with 409 LEASE_LOST once it is over",
    ),
]
Caller = NamedDependency[Principal]
Limit = Annotated[
    int,
    Parameter(
        ge=1,
        le=MAX_PAGE,
        description=f"Jobs per page: {DEFAULT_PAGE} unless given, at most {MAX_PAGE}",
    ),
]
PAGE_CURSOR = r"^id:.{1,96}$"
"""A snapshot's nextCursor: after which job id its next page starts."""
RESYNC_CURSOR = r"^seq:[0-9]{1,18}$"
"""A resync's nextCursor: after which seq its next page starts."""


def cursor_param(*patterns: str) -> Any:
    return Parameter(
        min_length=1,
        max_length=100,
        pattern="|".join(patterns),
        description="The previous page's nextCursor: the page after it (same query otherwise)",
    )


_ATTEMPT = re.compile(r"[1-9][0-9]*")
_WHOLE = re.compile(r"0|[1-9][0-9]*")
WHOLE_NUMBER_QUERY = ("since", "limit")
"""Query parameters that must be written as whole numbers (see check_number_params)."""


async def check_number_params(request: Request[Any, Any, Any]) -> None:
    """Whole numbers must be written as such. The query and header parsers convert
    non-strictly: they took ``null`` for no value at all (``since=null`` answered a full
    snapshot instead of a resync; a write meant to be fenced by ``Jobdesk-Attempt: null``
    would not have been), and ``1e3`` or ``1.0`` for whole numbers."""
    value = request.headers.get("jobdesk-attempt")
    if value is not None and not _ATTEMPT.fullmatch(value.strip()):
        raise ApiError(
            ErrorCode.INVALID_INPUT,
            f"Jobdesk-Attempt must be a positive whole number, not {value[:20]!r}",
            "Jobdesk-Attempt",
        )
    for name in WHOLE_NUMBER_QUERY:
        for value in request.query_params.getall(name, []):
            if not _WHOLE.fullmatch(value):
                raise ApiError(
                    ErrorCode.INVALID_INPUT,
                    f"{name} must be a whole number, not {value[:20]!r}",
                    name,
                )


def encoded(content: bytes, _shape: type[T]) -> Response[T]:
    """A JSON answer already encoded (a page joined from the jobs' own JSON), typed as the
    ``_shape`` it decodes to, which the handler's return annotation documents."""
    return cast("Response[T]", Response(content, media_type=MediaType.JSON))


def once(
    request: Request[Any, Any, Any],
    principal: Principal,
    key: str | None,
    status: int,
    answer: Callable[[Any], Any] | None,
) -> Once | None:
    """The request's Idempotency-Key scoped to its token, method and path, with the body
    (``answer`` of the result) and status a retry of it gets (see ``idempotency``)."""
    return Once.of(
        key,
        token=principal.token_hash,
        method=request.method,
        path=request.url.path,
        status=status,
        answer=answer,
    )


def replayed_handler(_: Request[Any, Any, Any], answered: Replayed) -> Response[bytes]:
    """A retried write: the first answer, byte for byte."""
    return Response(answered.body, status_code=answered.status, media_type=MediaType.JSON)


def bearer_token(authorization: str | None) -> str | None:
    if authorization is None:
        return None
    scheme, _, token = authorization.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


async def provide_principal(request: Request[Any, Any, Any], service: Service) -> Principal:
    return await service.authenticate(bearer_token(request.headers.get("authorization")))


def _error_response(
    status: int,
    code: ErrorCode,
    message: str,
    field: str | None,
    headers: dict[str, str] | None = None,
) -> Response[ErrorBody]:
    extra = {"WWW-Authenticate": "Bearer"} if status == 401 else {}
    return Response(
        ErrorBody(error=ErrorDetail(code=code, message=message, field=field)),
        status_code=status,
        headers={**(headers or {}), **extra} or None,
    )


def api_error_handler(_: Request[Any, Any, Any], exc: ApiError) -> Response[ErrorBody]:
    later = None if exc.retry_after_s is None else {"Retry-After": str(exc.retry_after_s)}
    return _error_response(exc.status_code, exc.code, exc.message, exc.field, later)


_PATH = re.compile(r"at `\$\.?([^`]*)`")
_MISSING = re.compile(r"missing required field `([^`]*)`")


def _field_of(extra: Any) -> tuple[str | None, str]:
    """Litestar's validation detail names the key and msgspec's message the path."""
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        first = extra[0]
        message = str(first.get("message", "invalid input"))
        key = first.get("key")
        path, missing = _PATH.search(message), _MISSING.search(message)
        where = path.group(1) if path else ""
        if not where and key not in (None, "data"):
            where = str(key)
        if missing:  # a field missing inside a list item is named with the item's path
            field = f"{where}.{missing.group(1)}" if where else missing.group(1)
        else:
            field = where or key
        if field == "data":  # Litestar's name for the whole body
            field = "body"
            if message == "'data'":  # Litestar's KeyError when there is no body at all
                message = "a JSON body is required"
        field = _WIRE_NAMES.get(str(field), field) if field else field
        return (str(field) if field else None), message
    return "body", "invalid input"


_WIRE_NAMES = {
    "created_from": "from",
    "created_to": "to",
    "job_type": "jobType",
    "include_past": "includePast",
}
"""Query parameters whose handler argument is named otherwise: the client is told the
name it sent."""


def validation_handler(_: Request[Any, Any, Any], exc: ValidationException) -> Response[ErrorBody]:
    field, detail = _field_of(exc.extra)
    if field is None:
        field, detail = "body", str(exc.detail)
    message = f"invalid {field}: {detail}"
    return _error_response(400, ErrorCode.INVALID_INPUT, message, field)


_HTTP_CODES = {
    401: ErrorCode.AUTH_REQUIRED,
    403: ErrorCode.FORBIDDEN,
    404: ErrorCode.NOT_FOUND,
    405: ErrorCode.INVALID_INPUT,
    413: ErrorCode.PAYLOAD_TOO_LARGE,
}


def http_handler(_: Request[Any, Any, Any], exc: HTTPException) -> Response[ErrorBody]:
    code = _HTTP_CODES.get(exc.status_code, ErrorCode.INVALID_INPUT)
    if exc.status_code >= 500:
        code = ErrorCode.UNKNOWN_ERROR
    # keep the exception's headers: a 405 must name the allowed methods in ``Allow``
    return _error_response(exc.status_code, code, str(exc.detail), None, dict(exc.headers or {}))


def internal_handler(_: Request[Any, Any, Any], exc: Exception) -> Response[ErrorBody]:
    log.exception("unexpected error", exc_info=exc)
    return _error_response(500, ErrorCode.UNKNOWN_ERROR, "internal server error", None)


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the error answers a route can give."""
    described = {
        400: "Invalid input: the field is named",
        401: "No or invalid bearer token",
        403: "The token's role may not do this",
        404: "No such job",
        409: "The job is already finished, was cancelled, or the attempt is over",
        410: "Resync required: take a full snapshot",
        413: "Body too large",
        429: "Too many active jobs",
    }
    return {s: ResponseSpec(data_container=ErrorBody, description=described[s]) for s in statuses}
