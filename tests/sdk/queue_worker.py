"""A worker process for the exactly-once test, on the sync SDK's worker loop.

``python -m tests.sdk.queue_worker URL TOKEN NAME OUT LEASE``

Claims ``exactly-once`` jobs until killed. Per job: one progress, then complete. Only a
completion the server acknowledged is written to ``OUT.done`` (one job id a line, flushed
at once), so a job id there twice would mean a job was completed twice. ``OUT.events``
says what the test must act on: ``hang ID`` (the job's payload asked this worker to hang,
to be killed mid-job), ``pause ID`` (to stop itself with SIGSTOP, and be continued once
the job has moved on) and ``stopped ID KIND`` (told to stop: LeaseLost).

The pause happens once, in the first worker to start the job with an attempt to spare:
a worker prefetches, so the first attempt may have expired in the buffer of a worker that
was killed before it came to it. A file beside ``OUT`` marks that it happened.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
from typing import TextIO

from jobdesk.sdk import ClaimedJob, JobdeskClient

JOB_TYPE = "exactly-once"


def act(job: ClaimedJob, events: TextIO, paused_marker: str) -> None:
    """What the payload asks for besides the work itself."""
    asked = job.payload.get("do") if isinstance(job.payload, dict) else None
    if asked == "hang":
        note(events, f"hang {job.job_id} {job.attempt}")
        threading.Event().wait()  # heartbeats go on: only a kill frees the job
    if asked == "pause" and job.attempt < job.job.max_attempts and first(paused_marker):
        note(events, f"pause {job.job_id}")
        os.kill(os.getpid(), signal.SIGSTOP)  # every thread stops, heartbeats too


def first(marker: str) -> bool:
    """True for the one process that makes ``marker``."""
    try:
        os.close(os.open(marker, os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def note(out: TextIO, line: str) -> None:
    out.write(line + "\n")
    out.flush()


def main(argv: list[str]) -> int:
    url, token, name, out, lease = argv
    logging.basicConfig(level=logging.WARNING, format=f"{name} %(levelname)s %(message)s")
    with (
        JobdeskClient(url, token, flush_interval=0.05) as client,
        open(out + ".done", "a", encoding="utf-8") as done,
        open(out + ".events", "a", encoding="utf-8") as events,
    ):
        for job in client.worker(name, lease=float(lease), wait=5).jobs(JOB_TYPE):
            with job:
                act(job, events, os.path.join(os.path.dirname(out), "paused"))
                job.progress(50)
                job.complete()
                note(done, job.job_id)
            if job.stopped is not None:
                note(events, f"stopped {job.job_id} {type(job.stopped).__name__}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
