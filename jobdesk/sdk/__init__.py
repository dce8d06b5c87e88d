"""jobdesk's worker SDK: take jobs from a jobdesk server's queue, report their progress,
log and outcome, and submit, cancel or retry jobs.

A worker loop::

    from jobdesk.sdk import JobdeskClient

    with JobdeskClient("http://127.0.0.1:8765", token) as client:
        worker = client.worker("mailer-1")
        for job in worker.jobs("send-email"):
            with job:                      # completed on leaving, failed if it raised
                job.progress(10, "connecting")
                send(job.payload["to"])
        # a cancelled job, or one whose lease was lost, raises Cancelled / LeaseLost at
        # its next report; ``with job:`` swallows both and the loop takes the next job

Submitting (seed 000's codes on failure: ``SubmissionError``)::

    job_id = client.submit_job("send-email", payload={"to": "a@b.c"}, max_attempts=3)

Reporting on a job the worker does itself (seed 001)::

    with client.start_job("argument-condensation", name="condense") as job:
        job.pipeline({"data-loading": 1, "question-processing": 3})
        job.sub_operation("data-loading", 100)
        job.info("Processing question 1")
        ...

Progress is in percent (0-100) throughout; progress calls are coalesced and sent in the
background, so calling them in a tight loop costs no requests, while log entries keep
their place among them. A report after a quiet spell is sent at once; later ones fold
into a send at most every ``flush_interval`` (0.2 s) per job. A client's reporters share
one sender: what many jobs report at about the same time goes to the server as one
batch request, committed in one transaction (``batch=False``, or a server without the
batch endpoint: one request per report). ``AsyncJobdeskClient`` offers the same API to
asyncio code.

Failures are ``SdkError`` with the server's ``code`` (``CONFLICT``, ``FORBIDDEN``, ...),
or ``UNAVAILABLE`` once retries of connection errors and 502/503/504 are used up.
"""

from jobdesk.protocol import ErrorCode, Job, Priority, Status
from jobdesk.sdk.aclaimed import AsyncClaimedJob
from jobdesk.sdk.aio import AsyncJobdeskClient, StartingJob
from jobdesk.sdk.areporter import AsyncJobReporter
from jobdesk.sdk.aworker import AsyncWorker
from jobdesk.sdk.bulk import BulkSubmissionError, JobSpec
from jobdesk.sdk.claimed import ClaimedJob
from jobdesk.sdk.claiming import ATTEMPT_HEADER
from jobdesk.sdk.client import JobdeskClient
from jobdesk.sdk.clientbase import ClientOptions
from jobdesk.sdk.errors import (
    BAD_RESPONSE,
    UNAVAILABLE,
    Cancelled,
    JobStopped,
    LeaseLost,
    SdkError,
    SubmissionError,
)
from jobdesk.sdk.reporter import JobReporter
from jobdesk.sdk.retry import RetryPolicy
from jobdesk.sdk.worker import Worker

__all__ = [
    "ATTEMPT_HEADER",
    "BAD_RESPONSE",
    "UNAVAILABLE",
    "AsyncClaimedJob",
    "AsyncJobReporter",
    "AsyncJobdeskClient",
    "AsyncWorker",
    "BulkSubmissionError",
    "Cancelled",
    "ClaimedJob",
    "ClientOptions",
    "ErrorCode",
    "Job",
    "JobReporter",
    "JobSpec",
    "JobStopped",
    "JobdeskClient",
    "LeaseLost",
    "Priority",
    "RetryPolicy",
    "SdkError",
    "StartingJob",
    "Status",
    "SubmissionError",
    "Worker",
]
