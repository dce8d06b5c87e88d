"""The ``socketio`` kind's options and capabilities, apart from its client so that
listing the kinds does not import python-socketio and aiohttp (a second at start-up)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from jobdesk.client.capabilities import Can, Capabilities
from jobdesk.client.kind import Field, Kind, SourceContext
from jobdesk.client.source import Source

CAPABILITIES: Final = Capabilities(Can.PUSH | Can.PROGRESS | Can.LOGS, poll_every=3.0)
"""No LIST: there is no listing; ``poll_every`` is the seed's polling fallback while the
socket is down (the tracked jobs, one by one, every 3 s). LOGS: the messages heard, not
a log the backend keeps."""


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


def _socketio(context: SourceContext, options: Mapping[str, str]) -> Source:
    from jobdesk.client.sources.socketio import SocketIoSource  # aiohttp: only when used

    chosen = SocketIoOptions.from_options(options)
    return SocketIoSource(context.url, context.token, context.settings, chosen, wall=context.wall)


_SOCKETIO_FIELDS = (
    Field("userId", "User id", "", "subscribe to this user's jobs ({userKey: ...})"),
    Field("jobIds", "Job ids", "", "comma-separated: subscribe to and track these jobs"),
    Field("path", "Socket.IO path", "socket.io"),
    Field("namespace", "Namespace", "/"),
    Field("subscribeEvent", "Subscribe event", "subscribe"),
    Field("userKey", "User key", "userId", "the key of subscribe's user id"),
    Field("jobKey", "Job key", "jobId", "the key of subscribe's and every event's job id"),
    Field("progressEvent", "Progress event", "job:progress"),
    Field("completedEvent", "Completed event", "job:completed"),
    Field("errorEvent", "Error event", "job:error"),
    Field("jobUrl", "Job URL", "/api/jobs/{id}", "one job, polled while the socket is down"),
    Field("authKey", "Auth key", "token", "the key of the token in Socket.IO's auth payload"),
)


KIND = Kind(
    "socketio",
    "Socket.IO job events (seed 004)",
    CAPABILITIES,
    _socketio,
    _SOCKETIO_FIELDS,
    needs_token=False,
    notes=(
        "no list and no replay: only jobs of the subscribed user or ids are seen, "
        "from their next event; no actions, no queue counts, no health"
    ),
)
