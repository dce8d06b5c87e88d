"""What an operator does to jobs from the monitor: force-fail, emergency cleanup.

Asyncio and httpx, so the GUI's widgets never do network I/O themselves: a widget asks,
this module talks to the server, and the answer comes back through the store's stream.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from jobdesk.client.endpoints import endpoints


@dataclass(frozen=True)
class Outcome:
    job_id: str
    ok: bool
    detail: str = ""
    """The server's error message when refused (e.g. "job ... is already completed")."""


class OperatorActions:
    def __init__(self, url: str, token: str, *, timeout: float = 10.0) -> None:
        self._base = endpoints(url).base_url
        self._token = token
        self._timeout = timeout

    def _client(self) -> httpx.AsyncClient:
        return httpx.AsyncClient(
            base_url=self._base,
            headers={"Authorization": f"Bearer {self._token}"},
            timeout=self._timeout,
        )

    async def force_fail(self, job_ids: list[str], reason: str | None = None) -> list[Outcome]:
        """Force-fail several jobs at once; each gets its own outcome."""
        body = {"reason": reason} if reason else {}
        async with self._client() as http:
            answers = await asyncio.gather(
                *(
                    http.post(f"/api/admin/jobs/{job_id}/force-fail", json=body)
                    for job_id in job_ids
                ),
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
