"""A fake seed 001 admin job store: ``GET /api/admin/jobs[?includePast=true]`` (paged
like jobdesk's, two jobs a page) and ``GET /api/admin/jobs/{id}/progress``, with the job
store's operations for the test to drive. In memory, as the seed's is: a restart loses
every job."""

from __future__ import annotations

import itertools
from typing import Any

from jobdesk.protocol import JobSummary
from jobdesk.protocol.status import parse_status
from tests.client.adapters.fake_http import Answer, FakeHttp

PAGE = 2
_clock = itertools.count(1)


def _now() -> str:
    """Distinct, increasing times (seconds of a fixed day), so every change moves one."""
    seconds = next(_clock)
    return f"2026-12-02T05:{seconds // 60 % 60:02d}:{seconds % 60:02d}.000Z"


class Seed001(FakeHttp):
    def __init__(self, token: str | None = "admin-token") -> None:
        super().__init__(token)
        self.jobs: dict[str, dict[str, Any]] = {}
        self._ids = itertools.count(1)

    # --- the job store, as the seed's createJob / PipelineLogger drive it ---------------

    def create(self, job_type: str = "argument-condensation") -> str:
        job_id = f"job-{next(self._ids):04d}"
        now = _now()
        self.jobs[job_id] = {
            "id": job_id,
            "name": job_type,
            "jobType": job_type,
            "status": "running",
            "progress": 0.0,
            "message": "",
            "messages": [],
            "subOperations": [],
            "metadata": {"author": "admin@example.com"},
            "owner": "admin@example.com",
            "result": None,
            "error": None,
            "stale": False,
            "createdAt": now,
            "startedAt": now,
            "updatedAt": now,
            "finishedAt": None,
        }
        return job_id

    def progress(self, job_id: str, fraction: float, step: str | None = None) -> None:
        job = self.jobs[job_id]
        if step is not None:
            steps = [s for s in job["subOperations"] if s["name"] != step]
            job["subOperations"] = [*steps, {"name": step, "weight": 1, "progress": fraction}]
        job["progress"] = fraction
        job["updatedAt"] = _now()

    def message(self, job_id: str, level: str, text: str) -> None:
        job = self.jobs[job_id]
        now = _now()
        job["messages"].append({"level": level, "text": text, "timestamp": now})
        job["message"] = text
        job["updatedAt"] = now

    def finish(self, job_id: str, error: str | None = None) -> None:
        job = self.jobs[job_id]
        now = _now()
        job.update(status="failed" if error else "completed", error=error, updatedAt=now)
        job.update(finishedAt=now, progress=job["progress"] if error else 1.0)

    def forget(self) -> None:
        self.jobs.clear()

    # --- the wire ---------------------------------------------------------------------

    def answer(self, method: str, path: str, query: dict[str, list[str]]) -> Answer:
        if method == "GET" and path == "/api/admin/jobs":
            return 200, self._page(query)
        parts = path.split("/")
        if method == "GET" and len(parts) == 6 and parts[5] == "progress":
            job = self.jobs.get(parts[4])
            if job is None:
                return 404, {"error": {"code": "NOT_FOUND", "message": "no such job"}}
            return 200, {
                "jobId": job["id"],
                "status": job["status"],
                "progress": job["progress"],
                "message": job["message"],
                "subOperations": job["subOperations"],
                "timestamp": job["updatedAt"],
            }
        return 404, {"error": {"code": "NOT_FOUND", "message": path}}

    def _page(self, query: dict[str, list[str]]) -> dict[str, Any]:
        past = query.get("includePast", ["false"])[0] == "true"
        listed = sorted(j for j, job in self.jobs.items() if past or job["status"] == "running")
        after = query.get("cursor", [""])[0]
        rest = [j for j in listed if j > after]
        page = rest[:PAGE]
        body: dict[str, Any] = {"jobs": [self.jobs[j] for j in page]}
        if len(rest) > PAGE:
            body["nextCursor"] = page[-1]
        return body


def differences(fake: Seed001, jobs: dict[str, JobSummary]) -> list[str]:
    """What differs between the fake's truth and a store's jobs, in canonical terms."""
    problems = [f"{i}: not in the store" for i in fake.jobs if i not in jobs]
    problems += [f"{i}: not on the server" for i in jobs if i not in fake.jobs]
    for job_id, raw in fake.jobs.items():
        mine = jobs.get(job_id)
        if mine is None:
            continue
        theirs = (
            parse_status(raw["status"]),
            round(raw["progress"] * 100, 6),
            raw["message"],
            raw["error"],
            raw["jobType"],
            raw["owner"],
            raw["updatedAt"],
        )
        ours = (
            mine.status,
            round(mine.progress, 6),
            mine.message,
            mine.error,
            mine.job_type,
            mine.owner,
            mine.updated_at,
        )
        if theirs != ours:
            problems.append(f"{job_id}: server {theirs} store {ours}")
    return problems
