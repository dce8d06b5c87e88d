"""A fake seed 002 Jobs API: ``GET /api/jobs/{jobId}`` only (no list), with the job
module's createJob / updateJobWithNotification / completeJob / failJob for the test to
drive, and the five-minute cleanup as ``expire``. No credentials unless a token is set."""

from __future__ import annotations

import itertools
from typing import Any

from jobdesk.client.sources.jobs_mapping import EXPIRED, VANISHED
from jobdesk.protocol import JobSummary
from jobdesk.protocol.status import parse_status
from tests.client.adapters.fake_http import Answer, FakeHttp

_clock = itertools.count(1)


def _now() -> str:
    seconds = next(_clock)
    return f"2026-12-02T06:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000Z"


class Seed002(FakeHttp):
    def __init__(self, token: str | None = None) -> None:
        super().__init__(token)
        self.jobs: dict[str, dict[str, Any]] = {}
        self.expired: dict[str, dict[str, Any]] = {}
        """Jobs cleaned up, as they were last (what the monitor should still show)."""
        self._ids = itertools.count(1)

    def create(self, message: str = "Upload queued") -> str:
        job_id = f"job_{next(self._ids):08x}"
        self.jobs[job_id] = {
            "status": "queued",
            "message": message,
            "progress": 0,
            "timestamp": _now(),
        }
        return job_id

    def update(self, job_id: str, progress: float, message: str) -> None:
        self.jobs[job_id].update(
            status="processing", progress=progress, message=message, timestamp=_now()
        )

    def complete(self, job_id: str, document_id: str) -> None:
        self.jobs[job_id].update(
            status="completed",
            progress=100,
            message="Document processed successfully",
            documentId=document_id,
            timestamp=_now(),
        )

    def fail(self, job_id: str, error: str) -> None:
        job = self.jobs[job_id]
        job.pop("progress", None)  # the seed's error example has none
        job.update(status="error", message="Processing failed", error=error, timestamp=_now())

    def expire(self, job_id: str) -> None:
        self.expired[job_id] = self.jobs.pop(job_id)

    def forget(self) -> None:
        """In memory: a restart loses every job."""
        self.expired.update(self.jobs)
        self.jobs.clear()

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> Answer:
        parts = path.split("/")
        if method == "GET" and len(parts) == 4 and parts[:3] == ["", "api", "jobs"]:
            job = self.jobs.get(parts[3])
            if job is not None:
                return 200, job
        return 404, {"error": "Job not found"}


def differences(fake: Seed002, tracked: list[str], jobs: dict[str, JobSummary]) -> list[str]:
    """Each tracked job as the fake has it (or had it, marked expired), against the store."""
    problems = [f"{i}: in the store, not tracked" for i in jobs if i not in tracked]
    for job_id in tracked:
        mine = jobs.get(job_id)
        raw = fake.jobs.get(job_id)
        if raw is None and job_id in fake.expired:
            last = fake.expired[job_id]
            note = EXPIRED if parse_status(last["status"]).is_terminal else VANISHED
            raw = {**last, "message": f"{note}: {last['message']}"}
        if raw is None:
            if mine is not None:
                problems.append(f"{job_id}: in the store, the server never had it")
            continue
        if mine is None:
            problems.append(f"{job_id}: not in the store")
            continue
        status = parse_status(raw["status"])
        progress = raw.get("progress", 100 if status.value == "completed" else None)
        theirs = (status, raw["message"], raw.get("error"), raw["timestamp"])
        ours = (mine.status, mine.message, mine.error, mine.updated_at)
        if theirs != ours or (progress is not None and progress != mine.progress):
            problems.append(f"{job_id}: server {theirs} {progress} store {ours} {mine.progress}")
    return problems
