"""jobdesk's worker SDK: report a job's progress, log and outcome to a jobdesk server.

::

    from jobdesk.sdk import JobdeskClient

    with JobdeskClient("http://127.0.0.1:8765", token) as client:
        with client.start_job("argument-condensation", name="condense") as job:
            job.pipeline({"data-loading": 1, "question-processing": 3})
            job.sub_operation("data-loading", 100)
            job.info("Processing question 1")
            ...
        # leaving the block completed the job (or failed it, if the block raised)

Progress is in percent (0-100) throughout; progress calls are coalesced and sent in the
background, so calling them in a tight loop costs no requests, while log entries keep
their place among them. ``AsyncJobdeskClient`` offers the same API to asyncio code.

Failures are ``SdkError`` with the server's ``code`` (``CONFLICT``, ``FORBIDDEN``, ...),
or ``UNAVAILABLE`` once retries of connection errors and 502/503/504 are used up.
"""

from jobdesk.protocol import ErrorCode, Job, Priority, Status
from jobdesk.sdk.aio import AsyncJobdeskClient, StartingJob
from jobdesk.sdk.areporter import AsyncJobReporter
from jobdesk.sdk.client import JobdeskClient
from jobdesk.sdk.errors import BAD_RESPONSE, UNAVAILABLE, SdkError
from jobdesk.sdk.reporter import JobReporter
from jobdesk.sdk.retry import RetryPolicy

__all__ = [
    "BAD_RESPONSE",
    "UNAVAILABLE",
    "AsyncJobReporter",
    "AsyncJobdeskClient",
    "ErrorCode",
    "Job",
    "JobReporter",
    "JobdeskClient",
    "Priority",
    "RetryPolicy",
    "SdkError",
    "StartingJob",
    "Status",
]
