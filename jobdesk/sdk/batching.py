"""Rounds of delivery: what a sender takes from its reporters and sends together.

The reporters of one client share one sender (a thread, or a task for asyncio): each
round it takes what every reporter has due and sends it as one ``POST
/api/admin/jobs/batch``, committed by the server in one transaction and answered per
report. A worker reporting on a thousand jobs at once thus makes one request where it
made a thousand. A sender that is idle sends at once; what is reported while a request
is in flight goes out with the next one.

A server without the batch endpoint (404 or 405 to it) is served one request per report
instead, as before it existed. No I/O here: the sync and async senders share it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final, TypeVar

import msgspec

from jobdesk.protocol.rest import BatchItem, BatchRequest, MessageRequest, ProgressRequest
from jobdesk.sdk.errors import BAD_RESPONSE, SdkError, sdk_error
from jobdesk.sdk.reporting import Pending, ReporterBase
from jobdesk.sdk.wire import STATUS_BY_CODE, Call

BATCH_PATH: Final = "/api/admin/jobs/batch"
MAX_ITEMS: Final = 1000
"""Most reports in one batch (the server takes up to 5,000)."""
MAX_BYTES: Final = 256 * 1024
"""A batch stops growing past about this many bytes (the server's limit is 1 MiB)."""
R = TypeVar("R", bound=ReporterBase)


class _Refusal(msgspec.Struct):
    code: str
    """Any code: a newer server may refuse with one this SDK does not know."""
    message: str = ""
    field: str | None = None


class BatchResult(msgspec.Struct, rename="camel"):
    job_id: str
    error: _Refusal | None = None


class BatchAnswer(msgspec.Struct):
    """The batch's answer as the SDK reads it: only whether each report was refused."""

    results: list[BatchResult]


@dataclass
class Part:
    """The head of one reporter's queue that a round carries."""

    reporter: ReporterBase
    sent: list[Pending]
    """The reporter's queue (the list itself), so the round can tell it is still current."""
    count: int


@dataclass
class Round:
    parts: list[Part]
    call: Call[BatchAnswer] | None = None
    """The batch request; None when the reports go one request each."""


def item_of(reporter: ReporterBase, pending: Pending) -> BatchItem:
    body = pending.body
    if isinstance(body, MessageRequest):
        return BatchItem(job_id=reporter.job_id, attempt=reporter._attempt, log=body)
    assert isinstance(body, ProgressRequest)
    return BatchItem(
        job_id=reporter.job_id,
        attempt=reporter._attempt,
        progress=body.progress,
        message=body.message,
        sub_operation=body.sub_operation,
        pipeline=body.pipeline,
    )


def _size(item: BatchItem) -> int:
    """A generous guess of the item's JSON size (a character may take 6 bytes escaped)."""
    text = (item.message or "") + (item.log.text if item.log else "")
    steps = len(item.pipeline) * 250 if item.pipeline else 0
    return 160 + len(item.job_id) + len(item.sub_operation or "") * 6 + len(text) * 6 + steps


def gather(due: Iterable[ReporterBase]) -> Round:
    """One batch of what the due reporters hold, in their order, each one's reports in
    order; a reporter's queue is split only when the batch is full."""
    parts: list[Part] = []
    items: list[BatchItem] = []
    size = 0
    for reporter in due:
        sent = reporter._sending
        count = 0
        for pending in sent:
            item = item_of(reporter, pending)
            size += _size(item)
            if items and (len(items) >= MAX_ITEMS or size > MAX_BYTES):
                break
            items.append(item)
            count += 1
        if count:
            parts.append(Part(reporter, sent, count))
        if count < len(sent):
            break
    request = Call("POST", BATCH_PATH, BatchAnswer, BatchRequest(updates=items))
    return Round(parts, request)


def due_now(waiting: dict[R, None], now: float) -> tuple[list[R], float | None]:
    """The reporters of ``waiting`` with something to send now, and the seconds until the
    next one is due (None: nothing pending). Those with nothing left to send (closed,
    refused, or empty) leave ``waiting``: their flush or close reports what is left."""
    due: list[R] = []
    wait: float | None = None
    for reporter in list(waiting):
        if reporter._fatal is not None or reporter._closed:
            del waiting[reporter]
        elif reporter._sending or reporter._take_due(now):
            due.append(reporter)
        elif (left := reporter._outbox.due_in(now)) is None:
            del waiting[reporter]
        else:
            wait = left if wait is None else min(wait, left)
    return due, wait


def take(waiting: dict[R, None], due: list[R], *, batch: bool) -> Round:
    """This round's reports; the reporters it carries go to the back of ``waiting``, so
    a full batch never leaves the same ones waiting round after round."""
    round_ = gather(due) if batch else one_by_one(due)
    carried = {id(part.reporter) for part in round_.parts}
    for reporter in due:
        if id(reporter) in carried:
            del waiting[reporter]
            waiting[reporter] = None
    return round_


def one_by_one(due: Iterable[ReporterBase]) -> Round:
    return Round([Part(r, r._sending, len(r._sending)) for r in due])


def endpoint_missing(exc: SdkError) -> bool:
    """The server answered the batch request as a path it does not serve: an older one."""
    return exc.status in (404, 405)


def settle(round_: Round, answer: BatchAnswer) -> None:
    """Apply the server's answer to each reporter (the senders' lock held): delivered
    reports leave its queue; a refused one ends its delivery, as a refused request would."""
    expected = sum(part.count for part in round_.parts)
    if len(answer.results) != expected:
        wrong = SdkError(
            BAD_RESPONSE,
            f"the batch of {expected} reports was answered with {len(answer.results)} results",
        )
        for part in round_.parts:
            part.reporter._give_up(wrong)
        return
    start = 0
    for part in round_.parts:
        results = answer.results[start : start + part.count]
        start += part.count
        reporter = part.reporter
        if reporter._fatal is not None or reporter._sending is not part.sent:
            continue  # it was stopped meanwhile; nothing of it is sent any more
        refused = next((r.error for r in results if r.error is not None), None)
        if refused is not None:
            code = refused.code
            status = STATUS_BY_CODE.get(code)
            reporter._give_up(sdk_error(code, refused.message, field=refused.field, status=status))
        else:
            del part.sent[: part.count]
