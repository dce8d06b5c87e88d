"""Seed 000's jobs (``JobUpdate``: id, status, result, createdAt, updatedAt, and the
submitted request and priority where the schema gives them) as canonical jobs, and the
GraphQL documents a profile starts from.

The seed reports no progress, no log and no start time: progress is 0 until a job ends
(100 once completed), and a failed job's ``result`` is its error.
"""

from __future__ import annotations

from typing import Any

from jobdesk.client.errors import ProtocolBroken
from jobdesk.protocol import Job, JobSummary, Priority
from jobdesk.protocol.status import Status, parse_status
from jobdesk.protocol.timestamps import format_timestamp, parse_timestamp

JOB_FIELDS = "id status request priority result createdAt updatedAt"

JOB_SUBSCRIPTION = (
    "subscription OnJobUpdate($id: ID!) { onJobUpdate(id: $id) { " + JOB_FIELDS + " } }"
)
"""Per job (``$id``): seed 000's ``S_JOB_UPDATE``."""
NEW_JOBS_SUBSCRIPTION = "subscription OnJobSubmitted { onJobSubmitted { " + JOB_FIELDS + " } }"
"""Jobs submitted by anyone, so they are followed without waiting for a reconnect."""
LIST_QUERY = "query ListJobs { listJobs { " + JOB_FIELDS + " } }"
"""Every job; its answer may be a list or a connection (``{items: [...]}``)."""
JOB_QUERY = "query GetJob($id: ID!) { getJob(id: $id) { " + JOB_FIELDS + " } }"
SUBMIT_MUTATION = (
    "mutation SubmitJob($input: SubmitJobInput!) { submitJob(input: $input) { "
    + JOB_FIELDS
    + " } }"
)

_TERMINAL = frozenset({Status.COMPLETED, Status.FAILED, Status.CANCELLED})


def job_items(value: Any) -> list[dict[str, Any]]:
    """The jobs of a list query's answer: a list, or a connection's ``items``."""
    if isinstance(value, dict) and "items" in value:
        value = value["items"]
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise ProtocolBroken(f"the list query answered {value!r:.200}, not a list of jobs")
    return value


def summary(update: dict[str, Any]) -> JobSummary:
    """One seed job as the store keeps it (its version is ForeignJobs' business)."""
    try:
        job_id = str(update["id"])
        status = parse_status(str(update["status"]))
        created = _stamp(update.get("createdAt") or update["updatedAt"])
        updated = _stamp(update.get("updatedAt") or created)
    except (KeyError, ValueError, TypeError) as exc:
        raise ProtocolBroken(f"a job without a usable id/status/time: {update!r:.200}") from exc
    result = update.get("result")
    text = "" if result is None else str(result)
    failed = status in (Status.FAILED,)
    return JobSummary(
        id=job_id,
        name=str(update.get("request") or job_id),
        status=status,
        progress=100.0 if status is Status.COMPLETED else 0.0,
        message="" if failed else text,
        error=(text or "failed") if failed else None,
        priority=_priority(update.get("priority")),
        created_at=created,
        updated_at=updated,
        finished_at=updated if status in _TERMINAL else None,
    )


def whole(update: dict[str, Any]) -> Job:
    """The detail panel's job: the summary's fields, and the result as the result."""
    brief = summary(update)
    fields = {name: getattr(brief, name) for name in brief.__struct_fields__}
    result = update.get("result")
    return Job(**fields, result=result if brief.status is Status.COMPLETED else None)


def is_terminal(job: JobSummary) -> bool:
    return job.status in _TERMINAL


def _priority(word: Any) -> Priority:
    try:
        return Priority(str(word).upper())
    except ValueError:
        return Priority.MEDIUM


def _stamp(text: Any) -> str:
    return format_timestamp(parse_timestamp(str(text)))
