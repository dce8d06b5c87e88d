"""The ``socketio`` kind's options and capabilities, apart from its client so that
listing the kinds does not import python-socketio and aiohttp (a second at start-up)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from jobdesk.client.capabilities import Can, Capabilities

CAPABILITIES: Final = Capabilities(Can.PUSH | Can.LIST | Can.PROGRESS | Can.LOGS, poll_every=3.0)
"""LIST here is the seed's polling fallback (the tracked jobs, one by one): there is no
listing. LOGS: the messages heard, not a log the backend keeps."""


@dataclass(frozen=True)
class SocketIoOptions:
    """Every name the seed's client uses, each configurable (docs/client.md)."""

    user_id: str = ""
    job_ids: tuple[str, ...] = ()
    path: str = "socket.io"
    namespace: str = "/"
    subscribe_event: str = "subscribe"
    user_key: str = "userId"
    job_key: str = "jobId"
    progress_event: str = "job:progress"
    completed_event: str = "job:completed"
    error_event: str = "job:error"
    job_url: str = "/api/jobs/{id}"
    auth_key: str = "token"

    @classmethod
    def from_options(cls, options: Mapping[str, str]) -> SocketIoOptions:
        given = {k: v for k, v in options.items() if v}
        ids = tuple(i.strip() for i in given.pop("jobIds", "").split(",") if i.strip())
        names = {
            "userId": "user_id",
            "path": "path",
            "namespace": "namespace",
            "subscribeEvent": "subscribe_event",
            "userKey": "user_key",
            "jobKey": "job_key",
            "progressEvent": "progress_event",
            "completedEvent": "completed_event",
            "errorEvent": "error_event",
            "jobUrl": "job_url",
            "authKey": "auth_key",
        }
        return cls(job_ids=ids, **{names[k]: v for k, v in given.items() if k in names})

    def subscriptions(self) -> list[dict[str, str]]:
        """What ``subscribe`` is sent with: the user's jobs, and each named job."""
        found = [{self.user_key: self.user_id}] if self.user_id else []
        return found + [{self.job_key: job_id} for job_id in self.job_ids]
